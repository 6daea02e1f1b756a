"""Casting votes: each one logged, the latest one current, committed before it is acknowledged.

A vote is written by one statement that also checks everything a vote needs (who votes,
the consultation open, the statement visible in it, the Idempotency-Key unused): on
PostgreSQL one round trip, then the commit. Only when it writes nothing are the rules
checked one by one, to say why (`_refusal`), with the same errors in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, exists, insert, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement, Executable

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
from consult.services.consultations import get_conversation
from consult.services.errors import (
    Conflict,
    ConsultationClosed,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    StatementWithdrawn,
)
from consult.services.numbers import json_id, json_integer
from consult.services.participants import participant_for_token
from consult.services.statements import get_statement, is_visible
from consult.tokens import token_digest

_REQUEST_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
VoterBy = Literal["token", "participant"]  # a token's hash, or a participant's id


def parse_vote(value: object) -> int:
    """1 agree, -1 disagree, 0 pass (1.0 too, as JSON Schema counts); 2, "1", true refused."""
    vote = json_integer(value)
    if vote not in VOTE_VALUES:
        raise InvalidInput(_("vote must be 1 (agree), -1 (disagree) or 0 (pass)."), field="vote")
    return vote


@dataclass(frozen=True)
class Receipt:
    """What a vote request did: the vote, and whether it was a retry of one already stored."""

    statement_id: int
    value: int
    replayed: bool = False
    participant_id: int | None = None


def parse_request_key(raw: object) -> str | None:
    """An Idempotency-Key: 1 to 64 letters, digits and `-_.:`; None when none was sent."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _REQUEST_KEY.fullmatch(raw):
        raise InvalidInput(
            _("The Idempotency-Key must be 1 to 64 letters, digits, '-', '_', '.' or ':'."),
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
    receipt = _write(
        "participant", participant.id, conversation.id, statement_id, vote, request_key
    )
    return receipt or _refusal(conversation, participant, statement_id, vote, request_key)


def cast_vote_by_token(
    conversation_id: str,
    token: str | None,
    statement_id: object,
    value: object,
    *,
    request_key: str | None = None,
) -> Receipt:
    """`cast_vote` for the API: the participant is found by its token in the same statement.

    No query comes before the write, so a revoked token fails at once (nothing is cached).
    The receipt carries the participant's id. Errors as `get_conversation`,
    `participant_for_token` and `cast_vote` raise them, in that order.
    """
    vote = parse_vote(value)
    receipt = None
    if token:
        receipt = _write(
            "token", token_digest(token), conversation_id, statement_id, vote, request_key
        )
    if receipt is not None:
        return receipt
    conversation = get_conversation(conversation_id)
    participant = participant_for_token(conversation, token)
    return _refusal(conversation, participant, statement_id, vote, request_key)


def _write(
    voter_by: VoterBy,
    voter: int | str,
    conversation_id: str,
    statement_id: object,
    vote: int,
    request_key: str | None,
) -> Receipt | None:
    """Write and commit the vote if every rule allows it; None if it wrote nothing."""
    row_id = json_id(statement_id)
    if row_id is None:
        return None
    params = {
        "voter": voter,
        "conversation_id": conversation_id,
        "statement_id": row_id,
        "value": vote,
        "now": utcnow(),
        "request_key": request_key,
    }
    dialect = db.session.get_bind().dialect.name
    try:
        if dialect == "postgresql":
            if not db.session().in_transaction():
                # One statement is a transaction of its own: autocommit spares the round
                # trips of BEGIN and COMMIT (only a fresh transaction may choose it).
                db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            participant_id = db.session.execute(_ONE_STATEMENT[voter_by], params).scalar()
        else:
            # SQLite has no INSERT inside WITH: the log entry is a second statement (local,
            # so no round trip is saved by joining them).
            participant_id = db.session.execute(_CHECKED_UPSERT[voter_by], params).scalar()
            if participant_id is not None:
                db.session.execute(_LOG_ENTRY, {**params, "participant_id": participant_id})
        if participant_id is None:
            db.session.rollback()
            return None
        votes_changed(conversation_id)
        db.session.commit()
    except IntegrityError:
        # The same key committed by a racing copy of this request: the whole transaction,
        # upsert included, is undone, and `_refusal` answers it as the retry it is.
        db.session.rollback()
        if request_key is None:
            raise
        return None
    return Receipt(row_id, vote, participant_id=participant_id)


def _refusal(
    conversation: Conversation,
    participant: Participant,
    statement_id: object,
    vote: int,
    request_key: str | None,
) -> Receipt:
    """Why the vote was not written, as an error; or the earlier vote, for a retry."""
    if request_key is not None:
        earlier = _earlier_vote(participant, request_key, statement_id, vote)
        if earlier is not None:
            return earlier
    if not conversation.is_open:
        raise ConsultationClosed(_("This consultation is closed and takes no more votes."))
    statement = get_statement(conversation, statement_id)
    if statement.status == ModerationStatus.REJECTED:
        raise StatementWithdrawn(_("This statement was withdrawn by the moderators."))
    if not is_visible(conversation, statement):
        raise NotFound(_("There is no such statement in this consultation."))
    # Every rule allows it now: something changed in between (a statement accepted, a
    # consultation reopened). One more try, by the participant's id.
    receipt = _write(
        "participant", participant.id, conversation.id, statement.id, vote, request_key
    )
    if receipt is None:
        raise Conflict(_("The vote could not be stored just now; please send it again."))
    return receipt


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
            _("This Idempotency-Key was used for another vote; send a new key for a new vote.")
        )
    return Receipt(earlier.statement_id, vote, replayed=True, participant_id=participant.id)


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


# The statements, built once: building and compiling them per vote cost more CPU than the
# database spent on the vote. Parameters: voter (a token's hash, or a participant id),
# conversation_id, statement_id, value, now, request_key.

_PARTICIPANTS = Participant.__table__
_CONVERSATIONS = Conversation.__table__
_STATEMENTS = Statement.__table__
_VOTES = Vote.__table__
_EVENTS = VoteEvent.__table__


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


def _allowed(voter_by: VoterBy) -> Any:
    """The (participant, statement) row a vote may go to, or no row: the rules in SQL."""
    voter_column = _PARTICIPANTS.c.token_hash if voter_by == "token" else _PARTICIPANTS.c.id
    # DESIGN: participants vote on visible statements (services/statements.is_visible).
    visible: ColumnElement[bool] = or_(
        _STATEMENTS.c.status == ModerationStatus.ACCEPTED,
        and_(
            ~_CONVERSATIONS.c.strict_moderation,
            _STATEMENTS.c.status != ModerationStatus.REJECTED,
        ),
    )
    key_unused = ~exists().where(
        _EVENTS.c.participant_id == _PARTICIPANTS.c.id,
        _EVENTS.c.request_key == _param("request_key", _EVENTS.c.request_key),
    )
    return (
        select(_PARTICIPANTS.c.id.label("participant_id"), _STATEMENTS.c.id.label("statement_id"))
        .join(_CONVERSATIONS, _CONVERSATIONS.c.id == _PARTICIPANTS.c.conversation_id)
        .join(_STATEMENTS, _STATEMENTS.c.conversation_id == _CONVERSATIONS.c.id)
        .where(
            voter_column == _param("voter", voter_column),
            _CONVERSATIONS.c.id == _param("conversation_id", _CONVERSATIONS.c.id),
            _STATEMENTS.c.id == _param("statement_id", _STATEMENTS.c.id),
            _CONVERSATIONS.c.is_open,
            visible,
            key_unused,
        )
        .cte("allowed")
    )


def _checked_upsert(dialect: Any, voter_by: VoterBy) -> Any:
    """Upsert the current vote where allowed, returning its participant and statement.

    One current vote per participant and statement, held by a unique constraint; the
    upsert makes a change of mind (or two racing requests) replace it in one statement.
    It runs before the log entry: the row lock it takes orders racing votes on one
    statement, so the last entry in the log is always the current vote.
    """
    allowed = _allowed(voter_by)
    upsert = dialect.insert(_VOTES).from_select(
        ["conversation_id", "participant_id", "statement_id", "value", "updated_at"],
        select(
            _param("conversation_id", _VOTES.c.conversation_id),
            allowed.c.participant_id,
            allowed.c.statement_id,
            _param("value", _VOTES.c.value),
            _param("now", _VOTES.c.updated_at),
        ).where(true()),  # SQLite reads ON CONFLICT after a SELECT only past a WHERE
    )
    return upsert.on_conflict_do_update(
        index_elements=["participant_id", "statement_id"],
        set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
    ).returning(_VOTES.c.participant_id, _VOTES.c.statement_id)


def _one_statement(voter_by: VoterBy) -> Executable:
    """PostgreSQL: the checked upsert and its log entry in one statement."""
    current = _checked_upsert(postgresql, voter_by).cte("written")
    return (
        insert(_EVENTS)
        .from_select(
            [
                "conversation_id",
                "participant_id",
                "statement_id",
                "value",
                "created_at",
                "request_key",
            ],
            select(
                _param("conversation_id", _EVENTS.c.conversation_id),
                current.c.participant_id,
                current.c.statement_id,
                _param("value", _EVENTS.c.value),
                _param("now", _EVENTS.c.created_at),
                _param("request_key", _EVENTS.c.request_key),
            ),
        )
        .add_cte(current)
        .returning(_EVENTS.c.participant_id)
    )


_ONE_STATEMENT = {by: _one_statement(by) for by in ("token", "participant")}
_CHECKED_UPSERT = {by: _checked_upsert(sqlite, by) for by in ("token", "participant")}
_LOG_ENTRY = insert(_EVENTS).values(
    conversation_id=_param("conversation_id", _EVENTS.c.conversation_id),
    participant_id=_param("participant_id", _EVENTS.c.participant_id),
    statement_id=_param("statement_id", _EVENTS.c.statement_id),
    value=_param("value", _EVENTS.c.value),
    created_at=_param("now", _EVENTS.c.created_at),
    request_key=_param("request_key", _EVENTS.c.request_key),
)
