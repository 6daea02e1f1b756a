"""Plain-language sentences for the report, made from an analysis's numbers and tests.

Correct by construction: a sentence says only what the numbers beside it support.

- "most participants agree" only for statements in the analysis's tested consensus list
  (exact binomial test of share > ½ with FDR control, `clustering.claims`);
- "a majority of every group" only when every group's 95 % interval lies above one half;
- "Group B agreed less often than the others" only where `differs_from_rest` holds;
- "the groups voted differently" only where `groups_differ` holds;
- a group "stands for" a statement only where its representative claim is `significant`;
- "more agreement than the opinion axis explains" only where the bridging interval lies
  above zero;
- below the minimum number of votes, no claim at all.

Shares are of the participants who voted on a statement, passes included (as the
analysis computes them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from clustering.parameters import DEFAULT
from clustering.stats import wilson_interval
from consult.locale_format import number

MANY_PASSES = 0.25  # the live pages' "people are unsure" threshold (analysis_view)


@dataclass(frozen=True)
class Claims:
    """What the analysis tested, which the sentences may repeat."""

    consensus_agree: frozenset[Any]  # the top of the tested consensus, as listed
    consensus_disagree: frozenset[Any]
    min_statement_votes: int
    false_discovery_rate: float = DEFAULT.false_discovery_rate


def claims_of(data: Mapping[str, Any]) -> Claims:
    """The tested claims of a clustering Analysis given as a dict."""
    consensus = data.get("consensus", {})
    settings = data.get("methodology", {}).get("claims", {})
    return Claims(
        consensus_agree=frozenset(consensus.get("agree", [])),
        consensus_disagree=frozenset(consensus.get("disagree", [])),
        min_statement_votes=int(settings.get("min_votes", DEFAULT.min_statement_votes)),
        false_discovery_rate=float(
            settings.get("false_discovery_rate", DEFAULT.false_discovery_rate)
        ),
    )


# A no-break space keeps "82 %" together on a line, on the page and in the PDF.
NBSP = "\u00a0"


def percent(share: float) -> str:
    return f"{number(round(100 * share))}{NBSP}%"


def percent_range(interval: Sequence[float] | None) -> str:
    """A 95 % interval of a share as "78–85 %"."""
    if not interval:
        return _("interval unknown")
    low, high = interval
    return f"{number(round(100 * low))}–{number(round(100 * high))}{NBSP}%"


def people(n: int) -> str:
    return ngettext("%(num)s participant", "%(num)s participants", n)


# -- the division ----------------------------------------------------------------------


def division_sentences(division: Mapping[str, Any], counts: Mapping[str, int]) -> list[str]:
    """What the analysis found about groups, in words (strength none, weak, clear, spectrum)."""
    strength = division.get("strength")
    n_groups = int(division.get("n_groups") or 0)
    participants = int(counts.get("participants", 0))
    grouped = int(counts.get("grouped", 0))
    if strength == "none" and n_groups == 0:
        return [_("There were too few votes to look for opinion groups.")]
    if strength == "none":
        said = _("The analysis found no real division: the votes are best explained by one group.")
    elif strength == "spectrum":
        said = _(
            "Opinions spread along one axis rather than forming separate groups: "
            "a spectrum of opinion, not camps."
        )
    elif strength == "weak":
        said = ngettext(
            "%(num)s opinion group was found, but the division is weak: "
            "the groups may not hold as more people vote.",
            "%(num)s opinion groups were found, but the division between them is weak: "
            "the groups may not hold as more people vote.",
            n_groups,
        )
    else:
        said = ngettext(
            "%(num)s opinion group was found; the division is clear.",
            "%(num)s opinion groups were found; the division between them is clear.",
            n_groups,
        )
    sentences = [said]
    if participants and strength in ("weak", "clear"):
        sentences.append(
            ngettext(
                "%(grouped)s of %(num)s participant (%(share)s) was placed in a group; "
                "the others voted too little or fit no group well.",
                "%(grouped)s of %(num)s participants (%(share)s) were placed in a group; "
                "the others voted too little or fit no group well.",
                participants,
                grouped=number(grouped),
                share=percent(grouped / participants),
            )
        )
    return sentences


# -- groups ----------------------------------------------------------------------------


def group_sentence(group: Mapping[str, Any], label: str) -> str:
    """A group's size, with its 95 % range when membership is uncertain."""
    sentence = ngettext(
        "%(group)s: %(num)s participant",
        "%(group)s: %(num)s participants",
        int(group.get("members", 0)),
        group=label,
    )
    interval = group.get("members_interval")
    if interval:
        sentence += _(
            " (95%(nbsp)s%% range %(low)s–%(high)s)",
            nbsp=NBSP,
            low=number(round(interval[0])),
            high=number(round(interval[1])),
        )
    pass_rate = group.get("pass_rate")
    if pass_rate is not None:
        sentence += _("; they passed on %(share)s of their votes", share=percent(pass_rate))
    return sentence + "."


def representative_sentence(representative: Mapping[str, Any], label: str) -> str:
    """How a group voted on one of its representative statements, and whether it is a claim."""
    direction = representative.get("direction")
    seen = int(representative.get("n_seen", 0))
    count = int(representative.get("n_agree" if direction == "agree" else "n_disagree", 0))
    numbers = {
        "share": percent(count / seen if seen else 0.0),
        "group": label,
        "range": percent_range(representative.get("interval")),
    }
    if representative.get("significant"):
        if direction == "agree":
            return _(
                "%(share)s of %(group)s agreed (%(range)s), more than the other participants.",
                **numbers,
            )
        return _(
            "%(share)s of %(group)s disagreed (%(range)s), more than the other participants.",
            **numbers,
        )
    if direction == "agree":
        return _(
            "%(share)s of %(group)s agreed (%(range)s); "
            "not a clear difference from the other participants.",
            **numbers,
        )
    return _(
        "%(share)s of %(group)s disagreed (%(range)s); "
        "not a clear difference from the other participants.",
        **numbers,
    )


# -- statements ------------------------------------------------------------------------


def statement_sentences(
    row: Mapping[str, Any], claims: Claims, labels: Mapping[int, str]
) -> list[str]:
    """Everything the report says about one statement, from its row in the analysis."""
    seen = int(row.get("n_seen", 0))
    if seen == 0:
        return [_("Nobody has voted on it yet.")]
    sentences = [_overall(row, claims)]
    if seen < claims.min_statement_votes:
        sentences.append(
            ngettext(
                "With %(num)s vote, too few for any claim (at least %(needed)s are needed).",
                "With %(num)s votes, too few for any claim (at least %(needed)s are needed).",
                seen,
                needed=claims.min_statement_votes,
            )
        )
        return sentences
    sentences.extend(_group_differences(row, labels))
    sentences.extend(_passes(row))
    return sentences


def _overall(row: Mapping[str, Any], claims: Claims) -> str:
    seen = int(row["n_seen"])
    agree, disagree = float(row.get("agree_share", 0.0)), float(row.get("disagree_share", 0.0))
    side = "agree" if agree >= disagree else "disagree"
    share, interval = (
        (agree, row.get("agree_interval"))
        if side == "agree"
        else (disagree, row.get("disagree_interval"))
    )
    numbers = {"share": percent(share), "range": percent_range(interval)}
    if side == "agree":
        sentence = ngettext(
            "%(share)s of the %(num)s participant who voted on it agreed (%(range)s)",
            "%(share)s of the %(num)s participants who voted on it agreed (%(range)s)",
            seen,
            **numbers,
        )
    else:
        sentence = ngettext(
            "%(share)s of the %(num)s participant who voted on it disagreed (%(range)s)",
            "%(share)s of the %(num)s participants who voted on it disagreed (%(range)s)",
            seen,
            **numbers,
        )
    enough = seen >= claims.min_statement_votes
    groups = row.get("groups", [])
    if enough and _tested_majority(row, side, claims):
        sentence += _(": a clear majority")
        if len(groups) >= 2 and _every_group_majority(groups, side):
            sentence += _(", including a majority of every group")
    elif enough and share > 0.5:
        sentence += _(": not a clear majority once chance is allowed for")
    return sentence + "."


def _tested_majority(row: Mapping[str, Any], side: str, claims: Claims) -> bool:
    """Whether the consensus test confirmed the majority: the statement's own q-value, not
    its place in the consensus lists, which keep the five largest shares only."""
    q = row.get(f"consensus_{side}_q_value")
    if q is None:  # rows stored before they carried their q-values
        return row.get("id") in (
            claims.consensus_agree if side == "agree" else claims.consensus_disagree
        )
    return float(q) < claims.false_discovery_rate


def _every_group_majority(groups: Iterable[Mapping[str, Any]], side: str) -> bool:
    """Every group's 95 % interval for `side` lies above one half."""
    key = f"{side}_interval"
    return all(g.get(key) and g[key][0] > 0.5 for g in groups)


def _group_differences(row: Mapping[str, Any], labels: Mapping[int, str]) -> list[str]:
    groups = row.get("groups", [])
    if len(groups) < 2:
        return []
    sentences = []
    if row.get("groups_differ"):
        sentences.append(_("The groups voted differently on it."))
    elif row.get("selection") == "held_out":
        # The bars beside it show the groups as formed with this statement's votes; the test
        # used groups formed without them, and may see less of a difference than the bars.
        sentences.append(
            _(
                "Tested on groups formed without the votes on this statement, the difference "
                "between the groups could be chance."
            )
        )
    else:
        sentences.append(_("Any difference between the groups on it could be chance."))
    decided_agree = sum(int(g.get("n_agree", 0)) for g in groups)
    decided = sum(int(g.get("n_agree", 0)) + int(g.get("n_disagree", 0)) for g in groups)
    for g in groups:
        if not g.get("differs_from_rest"):
            continue
        own_agree, own = int(g["n_agree"]), int(g["n_agree"]) + int(g["n_disagree"])
        rest_agree, rest = decided_agree - own_agree, decided - own
        # The test compares agree among agree + disagree with the rest's (claims module).
        more = own and rest and own_agree / own > rest_agree / rest
        numbers = {
            "group": _label(g, labels),
            "share": percent(g.get("agree_share", 0.0)),
            "range": percent_range(g.get("agree_interval")),
        }
        if more:
            said = _(
                "%(group)s agreed more often than the others (%(share)s agreed, %(range)s).",
                **numbers,
            )
        else:
            said = _(
                "%(group)s agreed less often than the others (%(share)s agreed, %(range)s).",
                **numbers,
            )
        sentences.append(said)
    if row.get("groups_differ") and not any(g.get("differs_from_rest") for g in groups):
        # The groups differ as a whole, yet no one group against the rest: their shares say how.
        sentences.append(_("By group: %(shares)s.", shares=_group_shares(groups, labels)))
    return sentences


def _group_shares(groups: Iterable[Mapping[str, Any]], labels: Mapping[int, str]) -> str:
    return ", ".join(
        _(
            "%(group)s %(share)s agreed",
            group=_label(g, labels),
            share=percent(g.get("agree_share", 0.0)),
        )
        for g in groups
    )


def _label(group: Mapping[str, Any], labels: Mapping[int, str]) -> str:
    return labels.get(group.get("group"), _("Group %(id)s", id=group.get("group")))


def _passes(row: Mapping[str, Any]) -> list[str]:
    seen, passes = int(row.get("n_seen", 0)), int(row.get("n_pass", 0))
    if not seen or passes / seen < MANY_PASSES:
        return []
    return [
        _(
            "Many were unsure: %(share)s passed (%(range)s).",
            share=percent(passes / seen),
            range=percent_range(pass_interval(row)),
        )
    ]


def pass_interval(row: Mapping[str, Any]) -> list[float]:
    """95 % Wilson interval of the pass share (the analysis gives agree and disagree only)."""
    low, high = wilson_interval(int(row.get("n_pass", 0)), int(row.get("n_seen", 0)))
    return [float(low), float(high)]


def bridging_sentence(row: Mapping[str, Any]) -> str:
    """Whether agreement on a statement reaches across the opinion axis (bridging score)."""
    if not row.get("bridging_scored") or not row.get("bridging_interval"):
        return _("Too few votes to tell whether agreement reaches across the opinion axis.")
    low, high = row["bridging_interval"]
    numbers = _(
        "bridging score %(score)s, 95%(nbsp)s%% interval %(low)s to %(high)s",
        score=two_decimals(float(row.get("bridging", 0.0))),
        nbsp=NBSP,
        low=two_decimals(low),
        high=two_decimals(high),
    )
    # The score is the statement's intercept: agreement the opinion axis does not explain.
    if low > 0:
        return _(
            "More agreement than where people stand on the opinion axis explains (%(numbers)s).",
            numbers=numbers,
        )
    if high < 0:
        return _(
            "Less agreement than where people stand on the opinion axis explains (%(numbers)s).",
            numbers=numbers,
        )
    return _(
        "No clear agreement beyond what the opinion axis explains (%(numbers)s).", numbers=numbers
    )


def two_decimals(value: float) -> str:
    """A score as "0.42" (or "0,42": the locale's decimal sign)."""
    return number(value, "0.00")
