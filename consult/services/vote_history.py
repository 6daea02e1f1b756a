"""A participant's current votes, a page at a time, for them to review and change; and the
votes as they stood at a moment (an export's or a report's cut-off)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, func, select

from consult.extensions import db
from consult.models import Conversation, Participant, Statement, Vote, VoteEvent
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


def votes_as_of(
    conversation_id: str, until: datetime | None, statement_ids: Sequence[int] | None = None
) -> Subquery:
    """(participant_id, statement_id, value) of each current vote as of `until`: the votes
    table when None, else the last logged vote of each pair up to then. `statement_ids`:
    only those statements' votes, filtered before the log is grouped, not after."""
    if until is None:
        query = select(Vote.participant_id, Vote.statement_id, Vote.value).where(
            Vote.conversation_id == conversation_id
        )
        if statement_ids is not None:
            query = query.where(Vote.statement_id.in_(statement_ids))
        return query.subquery()
    last = select(func.max(VoteEvent.id).label("id")).where(
        VoteEvent.conversation_id == conversation_id, VoteEvent.created_at <= until
    )
    if statement_ids is not None:
        last = last.where(VoteEvent.statement_id.in_(statement_ids))
    last = last.group_by(VoteEvent.participant_id, VoteEvent.statement_id).subquery()
    return (
        select(VoteEvent.participant_id, VoteEvent.statement_id, VoteEvent.value)
        .join(last, last.c.id == VoteEvent.id)
        .subquery()
    )
