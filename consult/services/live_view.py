"""What the live pages load: the latest analysis's view, activity, and the groups' history."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    Analysis,
    Conversation,
    ModerationStatus,
    Participant,
    Statement,
    VoteEvent,
    as_utc,
    utcnow,
)
from consult.services.analyses import analysis_history, latest_analysis
from consult.services.consultations import counts

_POSITIONS_CACHED = 4  # analyses whose participant positions this process keeps
_positions: OrderedDict[int, dict[int, dict[str, Any]]] = OrderedDict()


def activity(conversation: Conversation) -> dict[str, int]:
    """Participants, votes, statements, and votes in the last minute."""
    last_minute = db.session.scalar(
        select(func.count())
        .select_from(VoteEvent)
        .where(
            VoteEvent.conversation_id == conversation.id,
            VoteEvent.created_at >= utcnow() - timedelta(minutes=1),
        )
    )
    simulated = db.session.scalar(
        select(func.count())
        .select_from(Participant)
        .where(Participant.conversation_id == conversation.id, Participant.is_simulated)
    )
    waiting = db.session.scalar(
        select(func.count())
        .select_from(Statement)
        .where(
            Statement.conversation_id == conversation.id,
            Statement.status == ModerationStatus.UNMODERATED,
        )
    )
    return {
        **counts(conversation),
        "votes_last_minute": last_minute or 0,
        "simulated_participants": simulated or 0,
        "waiting_for_moderation": waiting or 0,
        # The live page and the presentation say when it closes or opens again, unreloaded.
        "is_open": conversation.is_open,
    }


def picture(conversation: Conversation, *, with_history: bool = False) -> dict[str, Any]:
    """The latest analysis as the pages show it (None before the first), and activity."""
    latest = latest_analysis(conversation)
    body: dict[str, Any] = {
        "conversation_id": conversation.id,
        "tick": latest.version if latest else 0,
        "kind": latest.kind if latest else None,
        "created_at": as_utc(latest.created_at).isoformat() if latest else None,
        "view": latest.view if latest else None,
        "stats": activity(conversation),
    }
    if with_history:
        body["history"] = [
            {
                "tick": a.version,
                "at": as_utc(a.created_at).isoformat(),
                **{k: _summary_count(a, k) for k in ("participants", "votes")},
                "groups": len((a.summary or {}).get("groups", [])),
            }
            for a in analysis_history(conversation)
        ]
    return body


def _summary_count(analysis: Analysis, name: str) -> int:
    return int((analysis.summary or {}).get("counts", {}).get(name, 0))


def participant_position(analysis: Analysis | None, participant_id: int) -> dict[str, Any] | None:
    """Where one participant stands in an analysis: x, y and group, or None if not placed.

    The full analysis is read once per analysis and process (it can be megabytes), so a
    page asking for its own position does not parse it every time.
    """
    if analysis is None:
        return None
    positions = _positions.get(analysis.id)
    if positions is None:
        data = db.session.scalar(select(Analysis.data).where(Analysis.id == analysis.id)) or {}
        positions = {
            p["id"]: {"x": p.get("x", 0.0), "y": p.get("y", 0.0), "group": p.get("group")}
            for p in data.get("participants", [])
        }
        _positions[analysis.id] = positions
        while len(_positions) > _POSITIONS_CACHED:
            _positions.popitem(last=False)
    return positions.get(participant_id)
