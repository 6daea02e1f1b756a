"""Stored analyses: the latest one is what every page and the routing read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Analysis, Conversation
from consult.services.errors import NotFound


def latest_analysis(conversation: Conversation) -> Analysis | None:
    return db.session.scalar(
        select(Analysis)
        .filter_by(conversation_id=conversation.id)
        .order_by(Analysis.version.desc())
        .limit(1)
    )


def require_latest_analysis(conversation: Conversation) -> Analysis:
    analysis = latest_analysis(conversation)
    if analysis is None:
        raise NotFound("This consultation has not been analysed yet.")
    return analysis


def store_analysis(conversation: Conversation, data: dict[str, Any]) -> Analysis:
    """Save a new version of the conversation's analysis (a JSON-ready dict)."""
    last = db.session.scalar(
        select(func.max(Analysis.version)).filter_by(conversation_id=conversation.id)
    )
    analysis = Analysis(conversation_id=conversation.id, version=(last or 0) + 1, data=data)
    db.session.add(analysis)
    db.session.commit()
    return analysis
