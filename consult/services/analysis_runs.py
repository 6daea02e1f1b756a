"""One analysis run: a consultation's current votes through clustering.analyze(), stored.

Whoever calls `refresh` (the embedded runner thread or a `consult worker`) holds the
consultation's analysis lock, so one run at a time per consultation.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from clustering.analysis import Analysis as ClusterAnalysis
from clustering.analysis import analyze
from clustering.matrix import VoteMatrix, columns_kept
from consult.extensions import db
from consult.models import Analysis, Conversation, Statement, VoteEvent, as_utc
from consult.services.analyses import latest_analysis, store_analysis
from consult.services.analysis_view import build_view, votes_needed_each
from consult.services.brigading import excluded_participants
from consult.services.participant_data import last_erasure_at
from consult.services.statements import is_visible
from consult.services.vote_memory import VoteMemory

SEED = 0  # recorded in every analysis's methodology; the same votes give the same groups
# A cold analysis (no warm start, groups chosen afresh) at least this often, and whenever
# votes grew by COLD_GROWTH since the last cold one; live updates in between start warm.
COLD_EVERY = timedelta(minutes=10)
COLD_GROWTH = 1.10
# Once the votes stop, the last warm update is analysed again cold after this long (and at
# least COLD_EVERY after the last cold one): the report cites cold analyses only, and
# would otherwise stay behind for good.
SETTLE_AFTER = timedelta(minutes=1)


def is_up_to_date(conversation: Conversation, latest: Analysis | None) -> bool:
    """Whether the latest analysis already includes every vote and every change."""
    if latest is None:
        return not _has_votes(conversation)
    return latest.vote_watermark >= log_head(conversation.id) and as_utc(
        latest.created_at
    ) >= as_utc(conversation.content_changed_at)


def is_settled(
    latest: Analysis | None,
    settle_after: timedelta = SETTLE_AFTER,
    cold_every: timedelta = COLD_EVERY,
) -> bool:
    """Whether the latest analysis may stand: a cold one, or a warm one so recent that more
    votes may follow (during a burst, updates stay warm and cheap), or one whose last cold
    analysis is recent: settling is a cold run, and cold runs come COLD_EVERY at most (a
    trickle of votes would otherwise cost a cold run each)."""
    if latest is None or latest.kind == "cold":
        return True
    now = datetime.now(UTC)
    if now - as_utc(latest.created_at) < settle_after:
        return True
    last_cold_at = (latest.summary or {}).get("last_cold_at")
    return last_cold_at is not None and now - datetime.fromtimestamp(last_cold_at, UTC) < cold_every


def log_head(conversation_id: str) -> int:
    """The id of the conversation's latest vote-log entry (0 before any vote)."""
    return (
        db.session.scalar(
            select(func.max(VoteEvent.id)).where(VoteEvent.conversation_id == conversation_id)
        )
        or 0
    )


def refresh(
    conversation_id: str,
    memory: VoteMemory,
    *,
    cold_every: timedelta = COLD_EVERY,
    settle_after: timedelta = SETTLE_AFTER,
    force_cold: bool = False,
) -> Analysis | None:
    """Analyse the conversation if anything changed since its latest analysis, or cold once
    a warm one has stood for `settle_after` (`is_settled`); store it."""
    started = time.time()
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    latest = latest_analysis(conversation)
    if not force_cold and is_up_to_date(conversation, latest):
        if is_settled(latest, settle_after, cold_every):
            return None
        force_cold = True  # the same votes, analysed afresh for the report
    watermark = log_head(conversation_id)
    statements = list(
        db.session.scalars(select(Statement).where(Statement.conversation_id == conversation.id))
    )
    shown = [s for s in statements if is_visible(conversation, s)]  # what people can vote on
    last_cold = _last_cold(conversation)
    excluded = excluded_participants(conversation.id)
    cold = (
        force_cold
        or _cold_is_due(conversation, latest, last_cold, cold_every)
        # Rows that vanish from a warm start's previous analysis: choose the groups afresh.
        or (latest.summary or {}).get("excluded", _NONE_EXCLUDED) != _fingerprint(excluded)
    )
    matrix = memory.matrix(
        conversation.id, [s.id for s in statements], reread=cold, excluded=excluded
    )
    cold = cold or _grew_since(last_cold, matrix)
    previous = None if cold else _previous(conversation, latest, memory)
    result = analyze(
        matrix,
        moderated_out=sorted({s.id for s in statements} - {s.id for s in shown}),
        meta=[s.id for s in statements if s.is_meta],
        previous=previous,
        # From scratch, groups may come out in another order: they keep their names anyway
        # (a citizen's "Group A", an outcome's response to a group).
        previous_groups=_groups_before(conversation, latest, memory) if cold else None,
        profile=conversation.analysis_profile,
        random_state=SEED,
    )
    # The Analysis holds JSON-ready values already: a shallow dict, no deep copy.
    data = {field.name: getattr(result, field.name) for field in fields(result)}
    votes_each = votes_needed_each(len(shown))
    qualified = int((_votes_on(matrix, [s.id for s in shown]) >= votes_each).sum())
    texts = {s.id: s.text for s in shown if not s.is_meta}
    view = build_view(data, texts, qualified=qualified, votes_each=votes_each)
    stored = store_analysis(
        conversation,
        data,
        kind="cold" if cold else "warm",
        vote_watermark=watermark,
        cutoff_at=_log_time(watermark) if watermark else None,
        summary={
            **_summary(data, view, qualified),
            "votes_each": votes_each,  # what `qualified` counted, for the report
            "excluded": _fingerprint(excluded),  # who a facilitator left out
            # When the latest cold analysis ran, as of this one (`is_settled`).
            "last_cold_at": started
            if cold or last_cold is None
            else as_utc(last_cold.created_at).timestamp(),
            "computed": _computed(started),
        },
        view=view,
        # As of when its inputs were read: a change made while it ran makes it out of date.
        created_at=datetime.fromtimestamp(started, UTC),
    )
    memory.remember(conversation.id, stored.version, result)
    return stored


_NONE_EXCLUDED = ""


def _votes_on(matrix: VoteMatrix, statement_ids: list[int]) -> NDArray[np.int64]:
    """Each participant's votes on these statements: a vote on a statement since rejected or
    still waiting makes nobody count towards showing groups."""
    chosen = matrix.statements_in(statement_ids)
    votes = matrix.votes if chosen.all() else columns_kept(matrix.votes, chosen)
    return np.diff(votes.indptr)


def _fingerprint(participant_ids: list[int]) -> str:
    """A short digest of a set of participants: the same set, the same string."""
    if not participant_ids:
        return _NONE_EXCLUDED
    joined = ",".join(map(str, sorted(participant_ids)))
    return hashlib.sha256(joined.encode("ascii")).hexdigest()[:16]


def _summary(data: dict[str, Any], view: dict[str, Any], qualified: int) -> dict[str, Any]:
    """What every analysis keeps for good: enough to draw how the groups formed."""
    return {
        "profile": data["profile"],
        "counts": data["counts"],
        "qualified": qualified,
        "ready": view["ready"],
        "division": view["division"],
        "groups": [
            {"id": g["id"], "members": g["members"], "centre": g["centre"]} for g in data["groups"]
        ],
        "seconds": data["methodology"].get("seconds", {}).get("total"),
    }


def _computed(started: float) -> dict[str, Any]:
    """When and where the run happened: checks that no two runs overlap (tests, audits)."""
    return {
        "started": started,
        "finished": time.time(),
        "by": f"{socket.gethostname()}:{os.getpid()}",
    }


def _previous(
    conversation: Conversation, latest: Analysis | None, memory: VoteMemory
) -> ClusterAnalysis | None:
    """The latest analysis to start warm from: from memory when this runner made it."""
    if latest is None:
        return None
    remembered = _remembered(conversation, latest, memory)
    if remembered is not None:
        return remembered
    if (latest.summary or {}).get("profile") != conversation.analysis_profile:
        return None
    data = latest.data  # the one place a full analysis is decoded: a runner's first warm run
    return None if data is None else ClusterAnalysis(**data)


def _groups_before(
    conversation: Conversation, latest: Analysis | None, memory: VoteMemory
) -> dict[Any, int | None] | None:
    """Who was in which group in the latest analysis, whatever its profile: a cold analysis
    matches its groups' ids to these."""
    if latest is None:
        return None
    remembered = _remembered(conversation, latest, memory)
    if remembered is not None:
        return remembered.group_of()
    data = latest.data  # only who is in which group: no full decoding
    return None if data is None else {p["id"]: p["group"] for p in data.get("participants", [])}


def _remembered(
    conversation: Conversation, latest: Analysis, memory: VoteMemory
) -> ClusterAnalysis | None:
    """`latest` as this runner's memory holds it, when this runner made it."""
    remembered = memory.previous(conversation.id)
    return remembered[1] if remembered is not None and remembered[0] == latest.version else None


def _cold_is_due(
    conversation: Conversation,
    latest: Analysis | None,
    last_cold: Analysis | None,
    cold_every: timedelta,
) -> bool:
    if latest is None or last_cold is None:
        return True
    if (latest.summary or {}).get("profile") != conversation.analysis_profile:
        return True
    if datetime.now(UTC) - as_utc(last_cold.created_at) >= cold_every:
        return True
    # Votes were deleted since: only a full re-read (cold) drops them.
    erased = last_erasure_at(conversation.id)
    return erased is not None and as_utc(erased) >= as_utc(last_cold.created_at)


def _grew_since(last_cold: Analysis | None, matrix: VoteMatrix) -> bool:
    """Whether the votes about to be analysed outnumber the last cold analysis's by
    COLD_GROWTH: counted on this run's own matrix, not on the last run's summary (which
    noticed growth one run late, or never when the votes stopped)."""
    cold_votes = (last_cold.summary or {}).get("counts", {}).get("votes", 0) if last_cold else 0
    return matrix.votes.nnz >= COLD_GROWTH * max(cold_votes, 1)


def _last_cold(conversation: Conversation) -> Analysis | None:
    return db.session.scalar(
        select(Analysis)
        .where(Analysis.conversation_id == conversation.id, Analysis.kind == "cold")
        .order_by(Analysis.version.desc())
        .limit(1)
    )


def _has_votes(conversation: Conversation) -> bool:
    return log_head(conversation.id) > 0


def _log_time(event_id: int) -> datetime | None:
    """When the vote-log entry was written: the analysis's cut-off time."""
    return db.session.scalar(select(VoteEvent.created_at).where(VoteEvent.id == event_id))
