"""API route for "Who took part" as the report shows it: counts by answer and segment, the
groups and the statements most agree on by answer, and participation against the targets.

Readable as the report is (anyone's when results are public, else facilitators' only), and
from the same numbers: every count under CONSULT_MIN_CELL, or one that the published totals
would give back, is null. Nothing here is per participant.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

from consult.api.inputs import facilitator_or_none
from consult.api.views import bp
from consult.reports.document import requested_report
from consult.services.errors import NotFound
from consult.services.who_took_part import (
    NO_ANSWER,
    NO_GROUP,
    Representativeness,
    Reweighted,
    Share,
)
from consult.services.who_took_part_report import StatementByCategory, WhoTookPartSection


@bp.get("/conversations/<conversation_id>/who-took-part")
def who_took_part(conversation_id: str) -> Any:
    report, _ = requested_report(conversation_id, facilitator_or_none(), None)
    if not report.ready or report.who_took_part is None:
        raise NotFound("Not analysed yet: there is no report to take these numbers from.")
    return {
        "analysis_version": report.analysis.version,
        "min_cell": report.who_took_part.min_cell,
        "sections": [_section_json(section) for section in report.who_took_part.sections],
    }


def _section_json(section: WhoTookPartSection) -> dict[str, Any]:
    keys = section.categories
    groups = section.groups
    return {
        "kind": section.kind,
        "title": section.title or None,
        "categories": [
            {
                "key": _key(c),
                "label": section.labels.get(c),
                "participants": section.participation.shown(c),
                "share": _share(section.share(c)),
            }
            for c in keys
        ],
        "groups": [
            {
                "group": None if g == NO_GROUP else g,
                "participants": [groups.table.shown((g, c)) for c in keys],
            }
            for g in groups.rows
        ],
        "withheld": section.participation.withheld or groups.table.withheld,
        "representativeness": _representativeness_json(section.representativeness),
        "statements": [_statement_json(row, keys) for row in section.statements],
    }


def _representativeness_json(result: Representativeness | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "base": result.base,
        "compared": result.answered,
        "left_out": result.left_out,
        "categories": [
            {
                "key": _key(r.category),
                "target": r.target,
                "share": _share(r.participation),
                "status": r.status,
            }
            for r in result.categories
        ],
    }


def _statement_json(row: StatementByCategory, keys: list[Hashable]) -> dict[str, Any]:
    across = row.across
    return {
        "statement_id": row.statement_id,
        "agree": [_share(across.agree_share(c)) for c in keys],
        "overall": _share(row.overall),
        "testable": across.testable,
        "p_value": across.p_value,
        "q_value": across.q_value,
        "reweighted": _reweighted_json(row.reweighted),
    }


def _reweighted_json(result: Reweighted | None) -> dict[str, Any] | None:
    # Weights and left_out are not published: with the targets they give counts back.
    if result is None or not result.possible:
        return None
    return {"value": result.value, "low": result.low, "high": result.high}


def _share(share: Share | None) -> dict[str, Any] | None:
    if share is None:
        return None
    return {
        "count": share.count,
        "base": share.base,
        "value": share.value,
        "low": share.low,
        "high": share.high,
    }


def _key(category: Hashable) -> int | str:
    """A choice's index (or a segment's position), or "no_answer"."""
    return NO_ANSWER if category == NO_ANSWER else cast(int, category)
