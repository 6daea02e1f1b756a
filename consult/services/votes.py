"""Casting votes: each one logged, the latest one current, committed before it is acknowledged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from consult.extensions import db
from consult.models import (
    VOTE_VALUES,
    Conversation,
    ModerationStatus,
    Participant,
    Statement,
    Vote,
    VoteEvent,
    utcnow,
)
from consult.services.changes import votes_changed
from consult.services.errors import Conflict, ConsultationClosed, InvalidInput, NotFound
from consult.services.statements import get_statement, is_visible

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def parse_vote(value: object) -> int:
    """1 agree, -1 disagree, 0 pass; anything else (2, "1", true) is refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in VOTE_VALUES:
        raise InvalidInput("vote must be 1 (agree), -1 (disagree) or 0 (pass).", field="vote")
    return value


def cast_vote(
    conversation: Conversation, participant: Participant, statement_id: object, value: object
) -> int:
    """Record a vote and commit it; return the vote. Raises before writing anything if invalid."""
    vote = parse_vote(value)
    if not conversation.is_open:
        raise ConsultationClosed("This consultation is closed and takes no more votes.")
    statement = get_statement(conversation, statement_id)
    if statement.status == ModerationStatus.REJECTED:
        raise Conflict("This statement was withdrawn by the moderators.")
    if not is_visible(conversation, statement):
        raise NotFound("There is no such statement in this consultation.")
    now = utcnow()
    # One current vote per participant and statement, held by a unique constraint; the
    # upsert makes a change of mind (or two racing requests) replace it in one statement.
    # It runs before the log entry: the row lock it takes orders racing votes on one
    # statement, so the last entry in the log is always the current vote.
    insert = _INSERTS[db.session.get_bind().dialect.name](Vote).values(
        conversation_id=conversation.id,
        participant_id=participant.id,
        statement_id=statement.id,
        value=vote,
        updated_at=now,
    )
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["participant_id", "statement_id"],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        )
    )
    db.session.add(
        VoteEvent(
            conversation_id=conversation.id,
            participant_id=participant.id,
            statement_id=statement.id,
            value=vote,
            created_at=now,
        )
    )
    votes_changed(conversation.id)
    db.session.commit()
    return vote


def votes_of(participant: Participant) -> list[tuple[Statement, int]]:
    """The participant's current votes with their statements, latest first."""
    rows = db.session.execute(
        select(Statement, Vote.value)
        .join(Vote, Vote.statement_id == Statement.id)
        .where(Vote.participant_id == participant.id)
        .order_by(Vote.updated_at.desc(), Vote.id.desc())
    )
    return [(statement, value) for statement, value in rows]


def current_vote(participant: Participant | None, statement: Statement) -> int | None:
    if participant is None:
        return None
    return db.session.scalar(
        select(Vote.value).filter_by(participant_id=participant.id, statement_id=statement.id)
    )
