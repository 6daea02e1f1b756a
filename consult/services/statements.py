"""Statements: seeding, submitting (with duplicate checks), moderating."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from consult.extensions import db
from consult.models import (
    Conversation,
    ModerationStatus,
    Participant,
    Statement,
    Vote,
    VoteEvent,
    utcnow,
)
from consult.services.changes import content_changed
from consult.services.errors import (
    ConsultationClosed,
    DuplicateStatement,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    SimilarStatement,
)
from consult.services.numbers import json_id
from consult.services.similarity import length_bounds, similar_to
from consult.services.text import (
    SIGNS,
    clean_text,
    excerpt,
    isolated,
    normalize_for_comparison,
)

MAX_SIMILAR_OFFERED = 3
MODERATION_ACTIONS = ("accept", "reject", "unmoderate", "meta", "not_meta")
# The status each action sets; "meta" and "not_meta" set the meta flag instead.
STATUS_SET_BY = {
    "accept": ModerationStatus.ACCEPTED,
    "reject": ModerationStatus.REJECTED,
    "unmoderate": ModerationStatus.UNMODERATED,
}
MAX_BULK_MODERATION = 1000
AGREE = 1  # DESIGN.md §4: agree = +1


def visible_statement(conversation: Conversation) -> Any:
    """SQL condition for the statements participants may see and vote on."""
    if conversation.strict_moderation:
        return Statement.status == ModerationStatus.ACCEPTED
    return Statement.status != ModerationStatus.REJECTED


def visible_in_its_conversation() -> Any:
    """SQL condition `visible_statement` for a query that has Conversation in its FROM."""
    return case(
        (Conversation.strict_moderation, Statement.status == ModerationStatus.ACCEPTED),
        else_=Statement.status != ModerationStatus.REJECTED,
    )


def is_visible(conversation: Conversation, statement: Statement) -> bool:
    return _visible_status(conversation, statement.status)


def add_seed_statements(conversation: Conversation, texts: Iterable[object]) -> list[Statement]:
    """Add a facilitator's statements, accepted at once; the caller commits.

    A facilitator knows what they write: only exact repeats are refused, never near ones.
    They see every statement, so every one counts. One query finds repeats of the whole
    batch, and the statements go in together when the session flushes. A refusal names the
    statement refused by its place in `texts` (`ServiceError.place`).
    """
    checked = []
    for place, raw in enumerate(texts):
        try:
            checked.append(_checked_text(conversation, raw))
        except ServiceError as error:
            error.place = place
            raise
    if not checked:
        return []
    hashes = {text_hash(normalized) for _text, normalized in checked}
    earlier: dict[str, list[Statement]] = {}
    for statement in db.session.scalars(
        select(Statement)
        .where(Statement.conversation_id == conversation.id, Statement.text_hash.in_(hashes))
        .order_by(Statement.id)
    ):
        earlier.setdefault(statement.normalized_text, []).append(statement)  # a hash is no proof
    added: list[Statement] = []
    place_in_batch: dict[str, int] = {}
    for place, (text, normalized) in enumerate(checked):
        if normalized in place_in_batch:
            first = place_in_batch[normalized]
            refusal = _repeated_in_batch(place, first, checked[first][0])
        elif normalized in earlier:
            refusal = _duplicate(conversation, earlier[normalized], None)
        else:
            refusal = None
        if refusal is not None:
            refusal.place = place
            raise refusal
        place_in_batch[normalized] = place
        statement = Statement(
            conversation_id=conversation.id,
            text=text,
            normalized_text=normalized,
            text_hash=text_hash(normalized),
            is_seed=True,
            status=ModerationStatus.ACCEPTED,
        )
        added.append(statement)
    db.session.add_all(added)
    return added


def seed(conversation: Conversation, texts: Iterable[object]) -> int:
    """A facilitator adds statements to a running consultation; returns how many."""
    added = add_seed_statements(conversation, texts)
    content_changed(conversation)
    db.session.commit()
    return len(added)


def submit_statement(
    conversation: Conversation,
    participant: Participant,
    raw_text: object,
    *,
    add_anyway: bool = False,
) -> Statement:
    """A participant's own statement, with their agree vote on it, committed together.

    It waits for a facilitator under strict moderation. An exact repeat is refused
    (DuplicateStatement). A similar one is offered back first (SimilarStatement), and added
    when sent again with `add_anyway`: dissent is never refused.
    """
    if not conversation.is_open:
        raise ConsultationClosed(_("This consultation is closed and takes no new statements."))
    if not conversation.allow_statements:
        raise Forbidden(_("This consultation does not take statements from participants."))
    text, normalized = _checked_text(conversation, raw_text)
    _refuse_duplicates(conversation, normalized, author=participant, offer_similar=not add_anyway)
    # Two identical texts sent in the same instant may both land (nothing unique in the
    # database since hidden statements must not block): rare, and harmless.
    statement = Statement(
        conversation_id=conversation.id,
        text=text,
        normalized_text=normalized,
        text_hash=text_hash(normalized),
        author_participant_id=participant.id,
        status=ModerationStatus.UNMODERATED,
    )
    db.session.add(statement)
    db.session.flush()  # its id, for the vote
    _agree_as_author(statement, participant)
    content_changed(conversation)  # also tells the analysis runner of the new vote
    db.session.commit()
    return statement


def _agree_as_author(statement: Statement, participant: Participant) -> None:
    """Writing a statement counts as agreeing with it, as in Polis: the current vote and its
    log entry, as the vote path writes them (the tally triggers count it).

    Not through `votes.cast_vote`: that refuses statements participants cannot see yet (a
    statement waiting for moderation), and a statement must never be stored without its
    author's vote, so both go in one transaction.
    """
    now = utcnow()
    fields = {
        "conversation_id": statement.conversation_id,
        "participant_id": participant.id,
        "statement_id": statement.id,
        "value": AGREE,
    }
    db.session.add_all([Vote(**fields, updated_at=now), VoteEvent(**fields, created_at=now)])


def get_statement(conversation: Conversation, statement_id: object) -> Statement:
    row_id = json_id(statement_id)
    statement = db.session.get(Statement, row_id) if row_id is not None else None
    if statement is None or statement.conversation_id != conversation.id:
        raise NotFound(_("There is no such statement in this consultation."))
    return statement


def statements_for_moderation(
    conversation: Conversation,
    status: ModerationStatus | None,
    page: int,
    per_page: int,
    *,
    search: str = "",
) -> tuple[list[Statement], int]:
    """One page of statements (newest first) and how many there are in all.

    `search` keeps the statements containing it, compared as duplicates are (case, accents
    and punctuation folded), so that it finds the same on SQLite and PostgreSQL.
    """
    query = select(Statement).where(Statement.conversation_id == conversation.id)
    if status is not None:
        query = query.where(Statement.status == status)
    needle = normalize_for_comparison(search)
    if needle:
        query = query.where(Statement.normalized_text.contains(needle, autoescape=True))
    elif search.strip():  # only punctuation ("%", "?!"): look for it as typed
        query = query.where(Statement.text.contains(search.strip(), autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Statement.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def visible_statements(
    conversation: Conversation, page: int, per_page: int
) -> tuple[list[Statement], int]:
    """One page of the statements participants see (oldest first) and their number."""
    query = select(Statement).where(
        Statement.conversation_id == conversation.id, visible_statement(conversation)
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Statement.id).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def moderation_counts(conversation: Conversation) -> dict[str, int]:
    rows = db.session.execute(
        select(Statement.status, func.count())
        .where(Statement.conversation_id == conversation.id)
        .group_by(Statement.status)
    )
    found = {ModerationStatus(status).value: count for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in ModerationStatus}


def moderate(conversation: Conversation, statement_ids: Iterable[object], action: str) -> int:
    """Apply one moderation action to statements of this consultation; return how many."""
    if action not in MODERATION_ACTIONS:
        raise InvalidInput(
            _("action must be one of %(actions)s.", actions=", ".join(MODERATION_ACTIONS))
        )
    ids = [json_id(i) for i in statement_ids]
    if not ids or len(ids) > MAX_BULK_MODERATION or None in ids:
        raise InvalidInput(
            _(
                "statement_ids must be a list of 1 to %(most)s statement ids.",
                most=MAX_BULK_MODERATION,
            )
        )
    statements = list(
        db.session.scalars(
            select(Statement).where(
                Statement.conversation_id == conversation.id, Statement.id.in_(ids)
            )
        )
    )
    if len(statements) != len(set(ids)):
        raise NotFound(_("Some of these statements are not in this consultation."))
    for statement in statements:
        _apply_moderation(statement, action)
    content_changed(conversation)
    db.session.commit()
    return len(statements)


def changed_since_shown(conversation: Conversation, shown_as: Mapping[int, str]) -> dict[int, str]:
    """The statements whose moderation status is no longer the one a page showed, with
    their status now."""
    if not shown_as:
        return {}
    now = db.session.execute(
        select(Statement.id, Statement.status)
        .where(Statement.conversation_id == conversation.id, Statement.id.in_(list(shown_as)))
        .order_by(Statement.id)  # locked in one order: two moderations never wait on each other
        .with_for_update()  # until the action is saved: no change slips in between
    )
    return {sid: status.value for sid, status in now if status.value != shown_as[sid]}


def _apply_moderation(statement: Statement, action: str) -> None:
    if action in STATUS_SET_BY:
        statement.status = STATUS_SET_BY[action]
    else:
        statement.is_meta = action == "meta"


def _checked_text(conversation: Conversation, raw: object) -> tuple[str, str]:
    text = clean_text(raw, "text", max_length=conversation.statement_max_length)
    normalized = normalize_for_comparison(text)
    if not set(normalized.split()) - SIGNS:
        raise InvalidInput(_("A statement needs words, not only punctuation."), field="text")
    return text, normalized


def text_hash(normalized: str) -> str:
    """The SHA-256 hex of a normalised text, by which exact repeats are found."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def _refuse_duplicates(
    conversation: Conversation,
    normalized: str,
    *,
    author: Participant | None,
    offer_similar: bool,
) -> None:
    """Raise DuplicateStatement for an exact repeat, or SimilarStatement offering near ones.

    A participant (`author`) is compared only with what they may see: visible statements and
    their own. Others' hidden ones are never quoted and never block. None means a facilitator.
    """
    seen = Statement.conversation_id == conversation.id
    if author is not None:
        seen = seen & or_(
            visible_statement(conversation), Statement.author_participant_id == author.id
        )
    repeats = db.session.scalars(
        select(Statement)
        .where(seen, Statement.text_hash == text_hash(normalized))
        .order_by(Statement.id)
    )
    same = [s for s in repeats if s.normalized_text == normalized]  # a hash is not proof
    if same:
        raise _duplicate(conversation, same, author)
    if not offer_similar:
        return
    # Only texts of a length that could be similar, and only what the comparison reads.
    shortest, longest = length_bounds(len(normalized))
    candidates = db.session.execute(
        select(Statement.id, Statement.normalized_text)
        .where(
            Statement.conversation_id == conversation.id,
            visible_statement(conversation),
            func.length(Statement.normalized_text).between(shortest, longest),
        )
        .order_by(Statement.id)
    )
    similar_ids = list(islice(similar_to(normalized, candidates), MAX_SIMILAR_OFFERED))
    if not similar_ids:
        return
    similar = offered_again(conversation, similar_ids)
    if similar:  # unless deleted in between
        raise SimilarStatement(
            _("A similar statement exists: vote on it, or add yours anyway."), similar=similar
        )


def offered_again(conversation: Conversation, statement_ids: list[int]) -> list[dict[str, Any]]:
    """The visible statements among these ids as a SimilarStatement offers them, in id order."""
    if not statement_ids:
        return []
    return [
        {"id": statement_id, "text": text}
        for statement_id, text in db.session.execute(
            select(Statement.id, Statement.text)
            .where(
                Statement.conversation_id == conversation.id,
                visible_statement(conversation),
                Statement.id.in_(statement_ids[:MAX_SIMILAR_OFFERED]),
            )
            .order_by(Statement.id)
        )
    ]


def _duplicate(
    conversation: Conversation, same: list[Statement], author: Participant | None
) -> DuplicateStatement:
    visible = [s for s in same if is_visible(conversation, s)]
    statement = (visible or same)[0]
    existing = {"id": statement.id, "text": statement.text, "status": statement.status.value}
    if author is not None and not visible:  # then it is the author's own, hidden statement
        if statement.status == ModerationStatus.UNMODERATED:
            message = _("You have already sent this statement; it waits for a facilitator.")
        else:
            message = _("You have already sent this statement.")
        return DuplicateStatement(message, existing=existing)
    quoted = isolated(excerpt(statement.text))
    message = _("This statement is already here: “%(text)s”", text=quoted)
    return DuplicateStatement(message, existing=existing)


def _repeated_in_batch(place: int, first_place: int, text: str) -> DuplicateStatement:
    """A statement that repeats an earlier one (`text`) of the same batch: nothing of the
    batch is saved, so the earlier one is named by its place in the list, not by an id."""
    message = _(
        "Statement %(place)s repeats statement %(first)s of the same list: “%(text)s”",
        place=place + 1,
        first=first_place + 1,
        text=isolated(excerpt(text)),
    )
    status = ModerationStatus.ACCEPTED.value  # as every seed statement is
    existing = {"id": None, "text": text, "status": status, "seed_index": first_place}
    return DuplicateStatement(message, existing=existing)


def _visible_status(conversation: Conversation, status: ModerationStatus) -> bool:
    if conversation.strict_moderation:
        return status == ModerationStatus.ACCEPTED
    return status != ModerationStatus.REJECTED
