"""Target shares for a question's answers (census shares, say): what participation is
compared with, and what the headline shares can be reweighted to (issue 13).

Stored on the question as a list in the choices' order, a share in [0, 1] or None for a
choice with no target ("Prefer not to say": a census has no share for it). The checks are
`services.who_took_part.check_targets`, worded here for the facilitator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _

from consult.extensions import db
from consult.models import Question
from consult.services.errors import InvalidInput
from consult.services.who_took_part import TARGET_TOLERANCE, TargetsInvalid, check_targets

# "52", "12.5", "33.333333": up to 100, a few decimals; no signs, exponents or underscores.
PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?")
# The digits an Arabic keyboard types (Arabic-Indic and Persian), its decimal and % signs.
EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٪", "01234567890123456789.%")


def targets_of(question: Question) -> dict[int, float]:
    """The question's targets by choice index, the choices without one left out."""
    shares = (question.targets or [])[: len(question.choices)]
    return {n: float(share) for n, share in enumerate(shares) if share is not None}


def percent_texts(question: Question) -> list[str]:
    """The targets as the facilitator's form shows them: "52", "12.5", blank for none."""
    shares = question.targets or []
    return [
        "" if n >= len(shares) or shares[n] is None else f"{round(shares[n] * 100, 4):g}"
        for n in range(len(question.choices))
    ]


def checked_targets(choice_count: int, targets: object) -> list[float | None] | None:
    """The API's targets (a list in the choices' order, shares or null; null clears them),
    checked for a question with `choice_count` choices; InvalidInput if they cannot be used."""
    if targets is None:
        return None
    if not isinstance(targets, list) or len(targets) != choice_count:
        raise InvalidInput(
            _(
                "targets must be a list of %(count)s shares (numbers from 0 to 1, or null for "
                "a choice with no target), one per choice in order.",
                count=choice_count,
            ),
            field="targets",
        )
    return _checked(list(targets))


def percent_targets(choice_count: int, percents: Sequence[str]) -> list[float | None] | None:
    """The facilitator's form: one percentage per choice ("52", "12.5", "12,5"), blank for
    a choice with no target; all blank clears the targets."""
    if len(percents) != choice_count:
        raise InvalidInput(_("Give one target per choice."), field="targets")
    return _checked([_percent(raw) for raw in percents])


def save_targets(question: Question, shares: list[float | None] | None) -> None:
    """Store targets that `checked_targets` or `percent_targets` gave for this question."""
    question.targets = shares
    db.session.commit()


def _checked(shares: Sequence[Any]) -> list[float | None] | None:
    given = {n: share for n, share in enumerate(shares) if share is not None}
    if not given:
        return None
    try:
        check_targets(given, range(len(shares)))
    except TargetsInvalid as refused:
        raise InvalidInput(_refusal(refused.code), field="targets") from None
    return [None if share is None else float(share) for share in shares]


def _percent(raw: str) -> float | None:
    text = raw.translate(EASTERN_DIGITS).strip().replace(",", ".").removesuffix("%").strip()
    if not text:
        return None
    if not PERCENT.fullmatch(text) or float(text) > 100:
        raise InvalidInput(_("A target is a percentage from 0 to 100."), field="targets")
    return float(text) / 100


def _refusal(code: str) -> str:
    messages: Mapping[str, str] = {
        "targets_must_be_shares": _("Each target must be a share from 0 to 1."),
        "targets_must_sum_to_one": _(
            "The targets must add up to 100 %% (within %(tolerance)s point).",
            tolerance=round(TARGET_TOLERANCE * 100),
        ),
        "targets_must_name_choices": _("Give a target for at least one choice."),
    }
    return messages[code]
