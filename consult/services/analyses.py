"""Stored analyses: versions, what the hot paths read, and how long full results are kept."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from consult.extensions import db
from consult.models import Analysis, Conversation, Statement, StatementStat, as_utc, utcnow
from consult.services.errors import NotFound

# Retention: an older full analysis is kept when it is this far from the last one kept.
KEEP_FULL_EVERY = timedelta(hours=1)
KEEP_FULL_GROWTH = 1.10


def latest_analysis(conversation: Conversation) -> Analysis | None:
    return db.session.scalar(
        select(Analysis)
        .filter_by(conversation_id=conversation.id)
        .order_by(Analysis.version.desc())
        .limit(1)
    )


def require_latest_analysis(conversation: Conversation) -> Analysis:
    analysis = latest_analysis(conversation)
    if analysis is None or analysis.data is None:
        raise NotFound("This consultation has not been analysed yet.")
    return analysis


def analysis_history(conversation: Conversation, limit: int = 500) -> list[Analysis]:
    """The latest `limit` analyses, oldest first (their summaries tell how groups formed)."""
    rows = db.session.scalars(
        select(Analysis)
        .filter_by(conversation_id=conversation.id)
        .order_by(Analysis.version.desc())
        .limit(limit)
    )
    return list(rows)[::-1]


def store_analysis(
    conversation: Conversation,
    data: dict[str, Any],
    *,
    kind: str = "cold",
    vote_watermark: int = 0,
    cutoff_at: datetime | None = None,
    summary: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> Analysis:
    """Save the next version of the conversation's analysis and the numbers routing reads.

    The caller holds the conversation's analysis lock (one writer); the unique constraint on
    (conversation, version) still refuses a second writer rather than overwrite a version.
    """
    previous = latest_analysis(conversation)
    analysis = Analysis(
        conversation_id=conversation.id,
        version=(previous.version if previous else 0) + 1,
        kind=kind,
        vote_watermark=vote_watermark,
        cutoff_at=cutoff_at,
        summary=summary or {},
        view=view,
        data=data,
        created_at=created_at or utcnow(),
    )
    db.session.add(analysis)
    db.session.flush()  # the version is taken here, or IntegrityError: nothing half-written
    _replace_statement_stats(conversation, analysis.version, data)
    for superseded in _thinning_candidates(conversation, previous, analysis):
        _thin(conversation, superseded)
    db.session.commit()
    return analysis


def finite_mapping(value: object) -> dict[str, float]:
    """The usable entries of a {statement id: number} mapping from an analysis."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): float(number)
        for key, number in value.items()
        if isinstance(number, int | float)
        and not isinstance(number, bool)
        and math.isfinite(number)
        and number >= 0
    }


def _replace_statement_stats(conversation: Conversation, version: int, data: dict) -> None:
    priority = finite_mapping(data.get("routing_priority"))
    extremity = finite_mapping(data.get("statement_extremity"))
    tallies = {
        str(row.get("id")): row for row in data.get("statements", []) if isinstance(row, Mapping)
    }
    known = set(
        db.session.scalars(select(Statement.id).where(Statement.conversation_id == conversation.id))
    )
    rows = [
        {
            "statement_id": int(key),
            "conversation_id": conversation.id,
            "analysis_version": version,
            "priority": value,
            "extremity": extremity.get(key, 0.0),
            "n_agree": int(tallies.get(key, {}).get("n_agree", 0)),
            "n_disagree": int(tallies.get(key, {}).get("n_disagree", 0)),
            "n_pass": int(tallies.get(key, {}).get("n_pass", 0)),
        }
        for key, value in priority.items()
        if key.isdigit() and int(key) in known
    ]
    db.session.execute(
        delete(StatementStat).where(StatementStat.conversation_id == conversation.id)
    )
    if rows:
        db.session.execute(insert(StatementStat), rows)


def _thinning_candidates(
    conversation: Conversation, previous: Analysis | None, new: Analysis
) -> list[Analysis]:
    """The analyses the new one supersedes: the previous latest, and the previous cold one.

    The latest cold analysis keeps its data whatever the rule says: the report cites it.
    So a cold one is a candidate only once a newer cold analysis exists.
    """
    if previous is None:
        return []
    if new.kind != "cold":
        return [] if previous.kind == "cold" else [previous]
    last_cold = db.session.scalar(
        select(Analysis)
        .where(
            Analysis.conversation_id == conversation.id,
            Analysis.kind == "cold",
            Analysis.version < new.version,
            Analysis.data.is_not(None),
        )
        .order_by(Analysis.version.desc())
        .limit(1)
    )
    older_cold = [last_cold] if last_cold is not None and last_cold.id != previous.id else []
    return [previous, *older_cold]


def _thin(conversation: Conversation, superseded: Analysis) -> None:
    """Keep the superseded full result only if an hour or 10 % more votes separate it from
    the last older one kept; its summary stays in every case (DESIGN.md §1, retention).

    Works on the columns' NULL-ness in SQL, never decoding the documents.
    """
    kept = db.session.scalar(
        select(Analysis)
        .where(
            Analysis.conversation_id == conversation.id,
            Analysis.version < superseded.version,
            Analysis.data.is_not(None),
        )
        .order_by(Analysis.version.desc())
        .limit(1)
    )
    if kept is None:
        return
    apart = as_utc(superseded.created_at) - as_utc(kept.created_at) >= KEEP_FULL_EVERY
    grew = _votes(superseded) >= KEEP_FULL_GROWTH * max(_votes(kept), 1)
    if not (apart or grew):
        db.session.execute(
            update(Analysis).where(Analysis.id == superseded.id).values(data=None, view=None)
        )


def _votes(analysis: Analysis) -> int:
    return int((analysis.summary or {}).get("counts", {}).get("votes", 0))
