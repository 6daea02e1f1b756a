"""Importing a Polis export folder as a new consultation, all or nothing.

Every file is read and checked first (`clustering.polis_export` names the file and line of
a bad value); only then is anything written, in one transaction with bulk inserts.
Participants are made in the order of their Polis ids and statements in the order of
their comment ids, so an export of the imported consultation numbers them as Polis did
whenever Polis's ids ran from 0 without gaps (they do in every published export).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, or_, select

from clustering.polis_export import (
    CommentRow,
    MalformedExport,
    VoteRow,
    comment_rows,
    meta_comment_ids,
    summary_rows,
    vote_rows,
)
from consult.extensions import db
from consult.models import (
    Conversation,
    ModerationStatus,
    Participant,
    Statement,
    User,
    Vote,
    VoteEvent,
    utcnow,
)
from consult.services.changes import content_changed
from consult.services.consultations import (
    DEFAULT_STATEMENT_MAX_LENGTH,
    MAX_STATEMENT_LENGTH_SETTING,
)
from consult.services.errors import InvalidInput
from consult.services.polis_csv import from_formula_safe
from consult.services.statements import text_hash
from consult.services.text import normalize_for_comparison
from consult.services.users import get_user_by_email
from consult.tokens import new_public_id

CHUNK = 5000  # rows per bulk insert
TOPIC_LENGTH = 200  # Conversation.topic's column
STATUS = {
    1: ModerationStatus.ACCEPTED,
    -1: ModerationStatus.REJECTED,
    0: ModerationStatus.UNMODERATED,
}


@dataclass(frozen=True)
class PolisFolder:
    """A Polis export folder, read and checked: nothing written yet."""

    topic: str
    description: str
    source: str  # where the data came from, with the attribution its licence asks for
    source_carried: bool  # the source came with the folder (a Consult export's summary.csv)
    origin: str  # the source without the attribution given: where the data came from
    comments: list[CommentRow]  # by comment id
    votes: list[VoteRow]  # in time order; equal times in file order
    meta: set[int]


def import_owner(email: str | None) -> User:
    """The facilitator named by `email`; without one, the only facilitator there is."""
    if email:
        return get_user_by_email(email)
    owners = db.session.scalars(select(User).limit(2)).all()
    if len(owners) != 1:
        raise InvalidInput(
            "Name the owner of the imported consultation with --owner EMAIL"
            + (" (no facilitator exists yet)." if not owners else ".")
        )
    return owners[0]


def read_polis_folder(folder: Path, attribution: str = "") -> PolisFolder:
    """Read and check every file the import needs; MalformedExport names a bad file and line.

    `attribution`: what the data's licence asks to keep with every copy (Polis's open data:
    CC BY 4.0, with attribution to The Computational Democracy Project).
    """
    if not folder.is_dir():
        raise MalformedExport(str(folder), None, "not a folder")
    comments: dict[int, CommentRow] = {}
    for row in comment_rows(folder):
        if row.comment in comments:
            raise MalformedExport("comments.csv", row.line, f"comment-id {row.comment} repeated")
        text = _checked_text(from_formula_safe(row.text), "comments.csv", row.line)
        if _shown(row):
            _check_showable(text, row.line)
        comments[row.comment] = CommentRow(
            row.line, row.comment, row.author, row.moderated, row.timestamp_ms, text
        )
    votes = list(vote_rows(folder))
    for vote in votes:
        if vote.comment not in comments:
            raise MalformedExport(
                "votes.csv", vote.line, f"comment-id {vote.comment} is not in comments.csv"
            )
    summary = summary_rows(folder)
    topic = from_formula_safe(summary.get("topic", "")).strip()[:TOPIC_LENGTH] or folder.name
    description = from_formula_safe(summary.get("conversation-description", ""))
    return PolisFolder(
        topic=_checked_text(topic, "summary.csv", None),
        description=_checked_text(description, "summary.csv", None),
        source=_checked_text(_source(summary, attribution.strip()), "summary.csv", None),
        source_carried=bool(from_formula_safe(summary.get("source", "")).strip()),
        origin=_checked_text(_source(summary, ""), "summary.csv", None),
        comments=[comments[key] for key in sorted(comments)],
        votes=sorted(votes, key=lambda vote: vote.timestamp_ms),
        meta=set(meta_comment_ids(folder)) & set(comments),
    )


def _source(summary: dict[str, str], attribution: str) -> str:
    """The source a Consult export carries on, or else the exported conversation's address
    (a Polis conversation's, or another Consult's); then the attribution given, unless the
    source says it already."""
    url = from_formula_safe(summary.get("url", "")).strip()
    source = from_formula_safe(summary.get("source", "")).strip() or (
        f"Imported from {url}." if url else ""
    )
    if attribution and attribution not in source:
        source = f"{source} {attribution}".strip()
    return source


def imported_before(folder: PolisFolder) -> list[str]:
    """Ids of the consultations already imported from the same source (whatever attribution
    each was given), oldest first: a second import makes a second copy, which the dashboard
    lists under the same topic."""
    if not folder.origin:
        return []
    same = or_(
        Conversation.source == folder.origin,
        Conversation.source.startswith(f"{folder.origin} ", autoescape=True),
    )
    query = select(Conversation.id).where(same).order_by(Conversation.created_at, Conversation.id)
    return list(db.session.scalars(query))


def import_polis(
    owner: User, folder: PolisFolder, *, progress: Callable[[int], None] | None = None
) -> Conversation:
    """Create a new, closed consultation holding the folder's statements, participants and
    every vote event; the votes table gets the latest vote of each pair. One transaction."""
    try:
        conversation = _conversation(owner, folder)
        participants = _insert_participants(conversation, folder)
        statements = _insert_statements(conversation, folder, participants)
        _insert_votes(conversation, folder, participants, statements, progress)
        content_changed(conversation)  # the runner analyses it once committed
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return conversation


def _conversation(owner: User, folder: PolisFolder) -> Conversation:
    times = [v.timestamp_ms for v in folder.votes[:1]]
    times += [c.timestamp_ms for c in folder.comments if c.timestamp_ms is not None]
    conversation = Conversation(
        id=new_public_id(),
        owner_id=owner.id,
        topic=folder.topic,
        description=folder.description,
        source=folder.source,
        is_open=False,  # a record of a past consultation; its facilitator may open it
        # Opened, its own statements must fit its limit (football's shown ones reach 400).
        statement_max_length=max(
            [DEFAULT_STATEMENT_MAX_LENGTH] + [len(c.text) for c in folder.comments if _shown(c)]
        ),
        created_at=_moment(min(times)) if times else utcnow(),
    )
    db.session.add(conversation)
    db.session.flush()
    return conversation


def _insert_participants(conversation: Conversation, folder: PolisFolder) -> dict[int, int]:
    """One participant per Polis id that voted or wrote; Polis id -> participant id."""
    first_seen: dict[int, int] = {}
    for vote in folder.votes:  # time order: the first is the earliest
        first_seen.setdefault(vote.voter, vote.timestamp_ms)
    for comment in folder.comments:
        if comment.author is not None:
            stamp = comment.timestamp_ms if comment.timestamp_ms is not None else 0
            first_seen[comment.author] = min(first_seen.get(comment.author, stamp), stamp)
    polis_ids = sorted(first_seen)
    rows = [
        {
            "conversation_id": conversation.id,
            "is_simulated": False,
            "created_at": _moment(first_seen[pid]) if first_seen[pid] else conversation.created_at,
        }
        for pid in polis_ids
    ]
    return dict(zip(polis_ids, _insert_returning_ids(Participant, rows), strict=True))


def _insert_statements(
    conversation: Conversation, folder: PolisFolder, participants: dict[int, int]
) -> dict[int, int]:
    """Polis comment id -> statement id."""
    rows = []
    for comment in folder.comments:
        normalized = normalize_for_comparison(comment.text)
        rows.append(
            {
                "conversation_id": conversation.id,
                "text": comment.text,
                "normalized_text": normalized,
                "text_hash": text_hash(normalized),
                "author_participant_id": participants.get(comment.author),
                "is_seed": False,
                "status": STATUS[comment.moderated],
                "is_meta": comment.comment in folder.meta,
                "created_at": _moment(comment.timestamp_ms)
                if comment.timestamp_ms is not None
                else conversation.created_at,
            }
        )
    ids = _insert_returning_ids(Statement, rows)
    return dict(zip([c.comment for c in folder.comments], ids, strict=True))


def _insert_votes(
    conversation: Conversation,
    folder: PolisFolder,
    participants: dict[int, int],
    statements: dict[int, int],
    progress: Callable[[int], None] | None,
) -> None:
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    events = []
    for vote in folder.votes:
        row = {
            "conversation_id": conversation.id,
            "participant_id": participants[vote.voter],
            "statement_id": statements[vote.comment],
            "value": vote.vote,
            "created_at": _moment(vote.timestamp_ms),
        }
        events.append(row)
        latest[(row["participant_id"], row["statement_id"])] = row
    for chunk in _chunks(events):
        _insert_rows(VoteEvent, chunk)
        if progress is not None:
            progress(len(chunk))
    current = [
        {**{k: v for k, v in row.items() if k != "created_at"}, "updated_at": row["created_at"]}
        for row in latest.values()
    ]
    for chunk in _chunks(current):
        _insert_rows(Vote, chunk)


def _insert_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert in the session's transaction: COPY on PostgreSQL (executemany costs a
    round trip per row there), Core's executemany elsewhere (no ORM bookkeeping per row)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(model.__table__), rows)
        return
    columns = list(rows[0])
    sql = f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _insert_returning_ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert; the new ids in the order of `rows` (RETURNING, on SQLite and PostgreSQL)."""
    ids: list[int] = []
    for chunk in _chunks(rows):
        ids += db.session.scalars(
            insert(model).returning(model.id, sort_by_parameter_order=True), chunk
        ).all()
    return ids


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _checked_text(text: str, file: str, line: int | None) -> str:
    # What a database refuses must be a message about the file, not a traceback.
    if "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise MalformedExport(file, line, "the text holds characters that are not allowed")
    return text


def _shown(comment: CommentRow) -> bool:
    """Whether participants could see the comment once imported: Polis did not reject it."""
    return STATUS[comment.moderated] != ModerationStatus.REJECTED


def _check_showable(text: str, line: int) -> None:
    """A comment Polis did not reject may be shown again: it must be one the API would take
    (rejected ones are kept as they were; nobody sees them)."""
    if not text.strip():
        raise MalformedExport("comments.csv", line, "comment-body is empty")
    if len(text) > MAX_STATEMENT_LENGTH_SETTING:
        raise MalformedExport(
            "comments.csv",
            line,
            f"comment-body is {len(text)} characters long; a statement may have at most "
            f"{MAX_STATEMENT_LENGTH_SETTING}",
        )


def _moment(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)
