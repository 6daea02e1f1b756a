"""The database: facilitators, consultations, participants, statements, votes, analyses."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult import tally_triggers
from consult.column_types import BigId, JsonDocument, utcnow
from consult.column_types import as_utc as as_utc  # imported from here across the app
from consult.extensions import db


class User(db.Model):
    """A facilitator account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(db.Model):
    """A facilitator's API token; only its SHA-256 is stored. Revoking one deletes it."""

    __tablename__ = "api_tokens"
    # Facilitators revoke tokens by id: SQLite must not give a deleted one's id again.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the facilitator calls it ("the city's dashboard"), so a list of tokens means something.
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class LoginSession(db.Model):
    """A facilitator's login on one browser. The cookie carries a random key; only its SHA-256
    is stored, and logging out deletes the row, so a copied cookie stops working with it."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


DEFAULT_STATEMENT_MAX_LENGTH = 280  # characters: what a new consultation takes, as Polis


class Conversation(db.Model):
    """A consultation: one question, its statements and its participants' votes."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Where an imported consultation's data came from, and the attribution its licence asks
    # for (Polis's open data is CC BY 4.0): shown with the report and kept in every export.
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    strict_moderation: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_statements: Mapped[bool] = mapped_column(Boolean, default=True)
    statement_max_length: Mapped[int] = mapped_column(Integer, default=DEFAULT_STATEMENT_MAX_LENGTH)
    require_xid: Mapped[bool] = mapped_column(Boolean, default=False)
    results_public: Mapped[bool] = mapped_column(Boolean, default=True)
    # When a participant erases their data, their statements go too, unless the facilitator
    # chose to keep them (detached from the participant) for the others who voted on them.
    keep_statements_on_erasure: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    analysis_profile: Mapped[str] = mapped_column(String(16), default="consult")
    # Origins (https://city.example) whose pages may show the consultation in a frame
    # (consult.embedding); none by default.
    embed_origins: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The optional questions about who took part (consult.services.questions) come after
    # this many votes: never before voting.
    questions_after_votes: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # When statements, moderation or settings last changed: votes alone are seen in the vote
    # log, and writing here on every vote would serialise all votes on this one row.
    content_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    owner: Mapped[User] = relationship()
    shares: Mapped[list[ConversationShare]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )

    def settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTINGS}


# The settings a facilitator may change after creation, by name.
SETTINGS = (
    "is_open",
    "strict_moderation",
    "allow_statements",
    "statement_max_length",
    "require_xid",
    "results_public",
    "keep_statements_on_erasure",
    "analysis_profile",
    "embed_origins",
    "questions_after_votes",
)
ANALYSIS_PROFILES = ("consult", "polis")


class ConversationShare(db.Model):
    """Another facilitator who may run a consultation beside its owner."""

    __tablename__ = "conversation_shares"
    # Also the index for a consultation's shares, by its leading column.
    __table_args__ = (UniqueConstraint("conversation_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    conversation: Mapped[Conversation] = relationship(back_populates="shares")
    user: Mapped[User] = relationship()


class Participant(db.Model):
    """Someone who votes or writes in one consultation; no account behind it."""

    __tablename__ = "participants"
    # Also the index for a consultation's participants, by its leading column.
    __table_args__ = (UniqueConstraint("conversation_id", "xid_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # HMAC-SHA256 of the external id (consult.security.hash_xid): the xid itself is never kept.
    xid_hash: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Made up by `consult serve --demo` so a newcomer sees groups at once; never a person.
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A keyed hash of the address prefix they joined from (consult.security.hash_address),
    # to spot bursts of look-alike newcomers; cleared after CONSULT_ADDRESS_HASH_DAYS.
    address_hash: Mapped[str | None] = mapped_column(String(64))
    # Set by a facilitator who judged them part of a brigade: kept, left out of the analysis.
    excluded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When they answered or skipped the optional questions about who took part: asked once.
    questions_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The segment of the link they first came by (services/segments); never exported per person.
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), index=True
    )


class Segment(db.Model):
    """A named part of the public (the assembly, a partner organisation) with its own link."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("conversation_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    # Random and unguessable, kept as it is (not hashed): the facilitator must be able to see
    # and copy the link again, and the code vouches for no one, it only labels newcomers.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Question(db.Model):
    """An optional question about who took part (age band, area, ...), with fixed choices."""

    __tablename__ = "questions"
    # A consultation's questions, in order.
    __table_args__ = (
        Index("ix_questions_conversation_id_position", "conversation_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    # The answer choices as the facilitator wrote them; an answer is an index into this list.
    choices: Mapped[list[str]] = mapped_column(JSON)
    # Each choice's share of the population (census shares), in the choices' order; None for
    # a choice with no target ("Prefer not to say"). None: no targets (services/targets).
    targets: Mapped[list[float | None] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Answer(db.Model):
    """A participant's answer to one question: kept apart from votes, never exported per person."""

    __tablename__ = "answers"
    # Also the index for a participant's answers, by its leading column.
    __table_args__ = (UniqueConstraint("participant_id", "question_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModerationStatus(enum.StrEnum):
    UNMODERATED = "unmoderated"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Statement(db.Model):
    """A short statement that participants vote on (Polis calls it a comment)."""

    __tablename__ = "statements"
    # Not unique: a text hidden from an author (rejected, or unread under strict moderation)
    # must not block theirs, so the same normalised text may appear twice (services/statements).
    __table_args__ = (
        Index("ix_statements_conversation_id_text_hash", "conversation_id", "text_hash"),
        # What participants see (status decides), and moderation's lists and counts.
        Index("ix_statements_conversation_id_status", "conversation_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    normalized_text: Mapped[str] = mapped_column(Text)
    # SHA-256 hex of normalized_text: exact repeats are looked up by it. A btree on the text
    # itself overflows on PostgreSQL for long CJK statements.
    text_hash: Mapped[str] = mapped_column(String(64))
    author_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    is_seed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ModerationStatus] = mapped_column(
        Enum(ModerationStatus, name="moderation_status", native_enum=False, length=16),
        default=ModerationStatus.UNMODERATED,
    )
    is_meta: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Erasure(db.Model):
    """A participant erased their data: when, and how much went (nothing about who).

    A report or export made before says how many votes were erased since; the analysis
    runner reads every vote afresh after one (its incremental read sees no deletions).
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    votes: Mapped[int] = mapped_column(Integer)  # current votes removed
    statements_removed: Mapped[int] = mapped_column(Integer)
    statements_kept: Mapped[int] = mapped_column(Integer)  # detached from the participant


VOTE_VALUES = (-1, 0, 1)  # disagree, pass, agree (DESIGN.md §4)


class Vote(db.Model):
    """The current vote of one participant on one statement: the one the math uses."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("participant_id", "statement_id"),
        CheckConstraint("value IN (-1, 0, 1)", name="value_is_vote"),
        # The analysis runner reads what changed since its last read (consult.services.vote_memory).
        Index("ix_votes_conversation_id_updated_at", "conversation_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # A participant's votes are found by the unique constraint's leading column.
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VoteEvent(db.Model):
    """Every vote ever cast, in order: the log behind the current votes."""

    __tablename__ = "vote_events"
    __table_args__ = (
        CheckConstraint("value IN (-1, 0, 1)", name="value_is_vote"),
        # The analysis runner reads a conversation's log from its last watermark on.
        Index("ix_vote_events_conversation_id_id", "conversation_id", "id"),
        # The live page counts the votes of the last minute: a range, not the whole log.
        Index("ix_vote_events_conversation_id_created_at", "conversation_id", "created_at"),
        # A retried request (same key) finds its vote instead of logging it twice; also a
        # participant's own log entries, by the leading column.
        Index(
            "ix_vote_events_participant_id_request_key",
            "participant_id",
            "request_key",
            unique=True,
        ),
        # Deleting a statement deletes its log entries: without this, a scan of the whole log.
        Index("ix_vote_events_statement_id", "statement_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The client's Idempotency-Key (or the form's key): NULL when none was sent.
    request_key: Mapped[str | None] = mapped_column(String(64))


class Analysis(db.Model):
    """One run of clustering.analyze() on a conversation, versioned.

    Every run keeps its `summary` (the history of the groups); the full `data` and the
    pages' `view` are kept for the latest run and thinned for older ones (retention).
    """

    __tablename__ = "analyses"
    # Also the index for a consultation's analyses, by its leading column.
    __table_args__ = (UniqueConstraint("conversation_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="cold")  # cold, or warm from the last
    # The last vote-log id and time the analysis includes: what it is "of".
    vote_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    cutoff_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    # Deferred: decoding megabytes of JSON only where a page or a warm start needs it.
    view: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, deferred=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StatementStat(db.Model):
    """What the hot paths read per statement, from the latest analysis: no JSON parsed."""

    __tablename__ = "statement_stats"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    analysis_version: Mapped[int] = mapped_column(Integer)
    priority: Mapped[float] = mapped_column(Float)
    extremity: Mapped[float] = mapped_column(Float, default=0.0)
    n_agree: Mapped[int] = mapped_column(Integer, default=0)
    n_disagree: Mapped[int] = mapped_column(Integer, default=0)
    n_pass: Mapped[int] = mapped_column(Integer, default=0)


class StatementTally(db.Model):
    """The current votes on one statement, counted as they change (consult.tally_triggers).

    Database triggers keep it exact whatever writes the votes (a vote, a change of mind, an
    import, a cascade), in the vote's own transaction; a vote locks only its statement's row.
    """

    __tablename__ = "statement_tallies"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    n_agree: Mapped[int] = mapped_column(Integer, default=0)
    n_disagree: Mapped[int] = mapped_column(Integer, default=0)
    n_pass: Mapped[int] = mapped_column(Integer, default=0)


class ConversationCounter(db.Model):
    """A consultation's participants, counted by a trigger when one is made or deleted.

    Only joining writes here, never a vote: votes do not queue on this row.
    """

    __tablename__ = "conversation_counters"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    participants: Mapped[int] = mapped_column(Integer, default=0)


@event.listens_for(db.metadata, "after_create")
def _install_tally_triggers(_target: object, connection: Any, **_kw: Any) -> None:
    """create_all builds the triggers with the tables, as migration 0008_read_indexes does."""
    tally_triggers.install(connection)


class ResponseStatus(enum.StrEnum):
    """What became of a statement or of a group's view (README: how the input was used)."""

    ADOPTED = "adopted"
    PARTLY_ADOPTED = "partly_adopted"
    UNDER_CONSIDERATION = "under_consideration"
    NOT_TAKEN_UP = "not_taken_up"


class Outcome(db.Model):
    """A consultation's overall statement of how its input was used; public once published."""

    __tablename__ = "outcomes"

    # One per consultation: the consultation's id is its key.
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: draft
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutcomeResponse(db.Model):
    """What became of one statement, or of one group's view, in a consultation's outcome."""

    __tablename__ = "outcome_responses"
    __table_args__ = (
        # A response answers exactly one statement or one group, and each at most once.
        CheckConstraint(
            "(statement_id IS NULL AND group_id IS NOT NULL)"
            " OR (statement_id IS NOT NULL AND group_id IS NULL)",
            name="one_target",
        ),
        UniqueConstraint("conversation_id", "statement_id"),
        UniqueConstraint("conversation_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Indexed by the unique constraints, which start with it.
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    # The analysis's stable group id, and its label when the response was written: groups
    # change as votes arrive, the response stays readable.
    group_id: Mapped[int | None] = mapped_column(Integer)
    group_label: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ResponseStatus] = mapped_column(
        Enum(ResponseStatus, name="response_status", native_enum=False, length=24)
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    statement: Mapped[Statement | None] = relationship()
