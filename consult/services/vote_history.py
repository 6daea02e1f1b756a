"""A participant's current votes, a page at a time, for them to review and change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Conversation, Participant, Statement, Vote
from consult.services.statements import visible_statement


def current_votes(
    conversation: Conversation, participant: Participant, page: int, per_page: int
) -> tuple[list[tuple[Statement, int]], int]:
    """One page of the participant's votes on statements they can see, and how many in all.

    Newest first by when the statement was first voted on (the vote row's id, which a change
    of mind keeps): a vote changed stays where it was, so the person keeps their place.
    """
    query = select(Statement, Vote.value).join(Vote, Vote.statement_id == Statement.id)
    query = query.where(*_listed(conversation, participant))
    rows = db.session.execute(
        query.order_by(Vote.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return [(statement, value) for statement, value in rows], vote_count(conversation, participant)


def vote_count(conversation: Conversation, participant: Participant) -> int:
    """How many votes the list holds: a statement waiting for moderation is not in it."""
    query = (
        select(func.count()).select_from(Vote).join(Statement, Vote.statement_id == Statement.id)
    )
    return db.session.scalar(query.where(*_listed(conversation, participant))) or 0


def _listed(conversation: Conversation, participant: Participant) -> tuple[Any, ...]:
    return (Vote.participant_id == participant.id, visible_statement(conversation))
