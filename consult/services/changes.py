"""Which consultations a transaction changed, so that the analysis runner hears of them.

Services mark what they change; the runner is told only after the transaction commits, so
it never computes on votes that a rollback took back, and a vote is never waiting on it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from consult.extensions import db
from consult.models import Conversation, utcnow

_CHANGED = "consult.changed_conversations"
LISTENER = "consult.analysis_listener"  # app.extensions key: a callable taking a conversation id


def votes_changed(conversation_id: str) -> None:
    """New votes in this transaction (the vote log shows the runner which)."""
    db.session.info.setdefault(_CHANGED, set()).add(conversation_id)


def content_changed(conversation: Conversation) -> None:
    """Statements, moderation or settings changed: the last analysis is out of date."""
    conversation.content_changed_at = utcnow()
    votes_changed(conversation.id)


@event.listens_for(Session, "after_commit")
def _tell_the_runner(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    listener: Callable[[str], None] | None = current_app.extensions.get(LISTENER)
    if listener is not None:
        for conversation_id in changed:
            listener(conversation_id)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
