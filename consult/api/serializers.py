"""Models as the JSON the API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consult.links import external_url
from consult.models import Analysis, Conversation, Segment, Statement, as_utc
from consult.services.consultations import counts


def conversation_json(
    conversation: Conversation, known_counts: dict[str, int] | None = None
) -> dict[str, Any]:
    """A consultation; a list passes the counts it read for all of them at once."""
    return {
        "id": conversation.id,
        "topic": conversation.topic,
        "question": conversation.question,
        "description": conversation.description,
        **conversation.settings(),
        "url": external_url("participation.conversation", conversation_id=conversation.id),
        "created_at": iso_utc(conversation.created_at),
        "counts": counts(conversation) if known_counts is None else known_counts,
    }


def invitation_json(conversation: Conversation, xid: str, signature: str) -> dict[str, str]:
    return {"xid": xid, "url": personal_link(conversation, xid, signature)}


def personal_link(
    conversation: Conversation, xid: str, signature: str, segment: Segment | None = None
) -> str:
    """A person's signed link; with `segment`, its code as `s` (a label, outside the signature)."""
    extra = {"s": segment.code} if segment is not None else {}
    return external_url(
        "participation.conversation",
        conversation_id=conversation.id,
        xid=xid,
        sig=signature,
        **extra,
    )


def segment_url(segment: Segment) -> str:
    """A segment's shared link."""
    return external_url(
        "participation.segment_link", conversation_id=segment.conversation_id, code=segment.code
    )


def statement_json(statement: Statement, *, remaining: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": statement.id,
        "text": statement.text,
        "status": statement.status.value,
        "is_meta": statement.is_meta,
        "is_seed": statement.is_seed,
    }
    if remaining is not None:
        body["remaining"] = remaining
    return body


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    return {
        "conversation_id": analysis.conversation_id,
        "version": analysis.version,
        "kind": analysis.kind,
        "created_at": iso_utc(analysis.created_at),
        "cutoff_at": iso_utc(analysis.cutoff_at) if analysis.cutoff_at else None,
        "analysis": analysis.data,
    }


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, which we stored as UTC."""
    return as_utc(moment).isoformat()
