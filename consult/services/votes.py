"""Casting votes: each one logged, the latest one current, committed before it is acknowledged."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

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
from consult.services.errors import (
    Conflict,
    ConsultationClosed,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
)
from consult.services.numbers import json_id, json_integer
from consult.services.statements import get_statement, is_visible

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_REQUEST_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def parse_vote(value: object) -> int:
    """1 agree, -1 disagree, 0 pass (1.0 too, as JSON Schema counts); 2, "1", true refused."""
    vote = json_integer(value)
    if vote not in VOTE_VALUES:
        raise InvalidInput("vote must be 1 (agree), -1 (disagree) or 0 (pass).", field="vote")
    return vote


@dataclass(frozen=True)
class Receipt:
    """What a vote request did: the vote, and whether it was a retry of one already stored."""

    statement_id: int
    value: int
    replayed: bool = False


def parse_request_key(raw: object) -> str | None:
    """An Idempotency-Key: 1 to 64 letters, digits and `-_.:`; None when none was sent."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _REQUEST_KEY.fullmatch(raw):
        raise InvalidInput(
            "The Idempotency-Key must be 1 to 64 letters, digits, '-', '_', '.' or ':'.",
            field="Idempotency-Key",
        )
    return raw


def cast_vote(
    conversation: Conversation,
    participant: Participant,
    statement_id: object,
    value: object,
    *,
    request_key: str | None = None,
) -> Receipt:
    """Record a vote and commit it. Raises before writing anything if invalid.

    With a `request_key`, a request sent again (the answer was lost, the client retried)
    finds the vote it stored and changes nothing: one entry in the log, however many tries.
    """
    vote = parse_vote(value)
    if request_key is not None:
        earlier = _earlier_vote(participant, request_key, statement_id, vote)
        if earlier is not None:
            return earlier
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
            request_key=request_key,
        )
    )
    votes_changed(conversation.id)
    try:
        db.session.commit()
    except IntegrityError:
        # The same key committed by a racing copy of this request: the whole transaction,
        # upsert included, is undone, and this one answers as the retry it is.
        db.session.rollback()
        earlier = (
            _earlier_vote(participant, request_key, statement_id, vote) if request_key else None
        )
        if earlier is None:
            raise
        return earlier
    return Receipt(statement.id, vote)


def _earlier_vote(
    participant: Participant, request_key: str, statement_id: object, vote: int
) -> Receipt | None:
    """The vote stored under this key, if any; the same key for another vote is refused."""
    earlier = db.session.execute(
        select(VoteEvent.statement_id, VoteEvent.value).filter_by(
            participant_id=participant.id, request_key=request_key
        )
    ).first()
    if earlier is None:
        return None
    if earlier.statement_id != json_id(statement_id) or earlier.value != vote:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for another vote; send a new key for a new vote."
        )
    return Receipt(earlier.statement_id, vote, replayed=True)


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
