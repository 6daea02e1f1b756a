"""Creating, finding, configuring and sharing consultations."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.models import (
    ANALYSIS_PROFILES,
    DEFAULT_STATEMENT_MAX_LENGTH,
    SETTINGS,
    Conversation,
    ConversationCounter,
    ConversationShare,
    Statement,
    StatementTally,
    User,
)
from consult.services.changes import content_changed
from consult.services.errors import Forbidden, InvalidInput, NotFound
from consult.services.numbers import json_integer
from consult.services.statements import add_seed_statements, visible_in_its_conversation
from consult.services.text import clean_text
from consult.tokens import new_public_id

MAX_STATEMENT_LENGTH_SETTING = 2000
MAX_QUESTIONS_AFTER_VOTES = 100  # later than this and few people would ever be asked
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_SEED_STATEMENTS = 500
MAX_EMBED_ORIGINS = 20
# An origin as CSP's frame-ancestors takes it: http(s), an ASCII host name (IDNs in their
# xn-- form) or IPv4 address, an optional port from 1 to 65535; nothing else, so that no
# character of it can end the directive (a space or ";") or widen it (a "*"). The same
# pattern is in openapi.json.
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = "[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
_ORIGIN = re.compile(rf"[Hh][Tt][Tt][Pp][Ss]?://{_LABEL}(?:\.{_LABEL})*(?::(?:{_PORT}))?")


def create_conversation(
    owner: User,
    topic: object,
    *,
    question: object = "",
    description: object = "",
    seed_statements: Iterable[object] = (),
    settings: Mapping[str, object] | None = None,
    conversation_id: str | None = None,
) -> Conversation:
    """Create a consultation with its seed statements (accepted at once) in one transaction."""
    conversation = Conversation(
        id=conversation_id or new_public_id(),
        owner_id=owner.id,
        **_checked_texts({"topic": topic, "question": question, "description": description}),
        **{**_DEFAULT_SETTINGS, **_checked_settings(settings or {})},
    )
    seeds = list(seed_statements)
    if len(seeds) > MAX_SEED_STATEMENTS:
        raise InvalidInput(
            _("At most %(limit)s seed statements at once.", limit=MAX_SEED_STATEMENTS)
        )
    db.session.add(conversation)
    add_seed_statements(conversation, seeds)
    db.session.commit()
    return conversation


def get_conversation(conversation_id: object) -> Conversation:
    # Checked before the query: PostgreSQL refuses some strings (NUL) with an error, not a miss.
    if not isinstance(conversation_id, str) or not _CONVERSATION_ID.fullmatch(conversation_id):
        raise NotFound(_("There is no such consultation."))
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(_("There is no such consultation."))
    return conversation


def find_conversation(conversation_id: str) -> Conversation | None:
    try:
        return get_conversation(conversation_id)
    except NotFound:
        return None


def can_manage(user: User | None, conversation: Conversation) -> bool:
    if user is None:
        return False
    if conversation.owner_id == user.id:
        return True
    return any(share.user_id == user.id for share in conversation.shares)


def get_managed_conversation(user: User | None, conversation_id: object) -> Conversation:
    """The consultation, if `user` owns it or it is shared with them; NotFound otherwise."""
    conversation = get_conversation(conversation_id)
    if not can_manage(user, conversation):
        # Not 403: a facilitator learns nothing about consultations that are not theirs.
        raise NotFound(_("There is no such consultation."))
    return conversation


def conversations_managed_by(user: User) -> list[Conversation]:
    shared = select(ConversationShare.conversation_id).where(ConversationShare.user_id == user.id)
    query = (
        select(Conversation)
        .where(or_(Conversation.owner_id == user.id, Conversation.id.in_(shared)))
        .order_by(Conversation.created_at.desc())
    )
    return list(db.session.scalars(query))


def edit_fingerprint(conversation: Conversation, settings: Iterable[str]) -> str:
    """A short digest of what a form edits (the texts and these settings): a form drawn from
    other values (another facilitator saved meanwhile) is told apart, not saved over theirs.
    Only what the form edits: closing the consultation meanwhile does not refuse it."""
    edited = {
        "topic": conversation.topic,
        "question": conversation.question,
        "description": conversation.description,
        **{name: getattr(conversation, name) for name in settings},
    }
    text = json.dumps(edited, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def update_conversation(
    conversation: Conversation,
    *,
    texts: Mapping[str, object] | None = None,
    settings: Mapping[str, object] | None = None,
) -> Conversation:
    """Change texts (topic, question, description) and settings; all checked before any change."""
    changes = _checked_texts(texts or {})
    changes.update(_checked_settings(settings or {}))
    for name, value in changes.items():
        setattr(conversation, name, value)
    content_changed(conversation)
    db.session.commit()
    return conversation


def share_conversation(conversation: Conversation, owner: User, other: User) -> None:
    if conversation.owner_id != owner.id:
        raise Forbidden(_("Only the owner of a consultation can share it."))
    if other.id == owner.id or can_manage(other, conversation):
        return
    db.session.add(ConversationShare(conversation_id=conversation.id, user_id=other.id))
    try:
        db.session.commit()
    except IntegrityError:  # shared by another request since the check: the same outcome
        db.session.rollback()


def counts(conversation: Conversation) -> dict[str, int]:
    """Participants, current votes (one per participant and statement), statements shown."""
    return counts_by_conversation([conversation])[conversation.id]


def counts_by_conversation(conversations: Sequence[Conversation]) -> dict[str, dict[str, int]]:
    """`counts` of each consultation, by id, in one query however many there are.

    Read from the counters the triggers keep (consult.tally_triggers): participants from the
    consultation's counter, votes as the sum of its statements' tallies; no vote is counted.
    """
    ids = [c.id for c in conversations]
    if not ids:
        return {}
    participants = (
        select(ConversationCounter.participants)
        .where(ConversationCounter.conversation_id == Conversation.id)
        .scalar_subquery()
    )
    votes = (
        select(func.sum(StatementTally.n_agree + StatementTally.n_disagree + StatementTally.n_pass))
        .where(StatementTally.conversation_id == Conversation.id)
        .scalar_subquery()
    )
    statements = (
        select(func.count())
        .select_from(Statement)
        .where(Statement.conversation_id == Conversation.id, visible_in_its_conversation())
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Conversation.id, participants, votes, statements).where(Conversation.id.in_(ids))
    )
    return {
        cid: {"participants": p or 0, "votes": int(v or 0), "statements": s or 0}
        for cid, p, v, s in rows
    }


_DEFAULT_SETTINGS: dict[str, Any] = {
    "is_open": True,
    "strict_moderation": False,
    "allow_statements": True,
    "statement_max_length": DEFAULT_STATEMENT_MAX_LENGTH,
    "require_xid": False,
    "results_public": True,
    "keep_statements_on_erasure": False,
    "analysis_profile": "consult",
    "questions_after_votes": 3,
}

# name -> (max length, min length)
_TEXT_LIMITS = {"topic": (200, 1), "question": (1000, 0), "description": (10_000, 0)}


def _checked_texts(texts: Mapping[str, object]) -> dict[str, str]:
    return {
        name: clean_text(
            value, name, max_length=_TEXT_LIMITS[name][0], min_length=_TEXT_LIMITS[name][1]
        )
        for name, value in texts.items()
    }


def _checked_settings(settings: Mapping[str, object]) -> dict[str, Any]:
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise InvalidInput(_("Unknown settings: %(names)s.", names=", ".join(sorted(unknown))))
    checked = dict(settings)
    for name, value in settings.items():
        if name == "statement_max_length":
            checked[name] = json_integer(value)
            if checked[name] is None or not 1 <= checked[name] <= MAX_STATEMENT_LENGTH_SETTING:
                raise InvalidInput(
                    _(
                        "statement_max_length must be a whole number from 1 to %(high)s.",
                        high=MAX_STATEMENT_LENGTH_SETTING,
                    ),
                    field=name,
                )
        elif name == "questions_after_votes":
            checked[name] = json_integer(value)
            if checked[name] is None or not 1 <= checked[name] <= MAX_QUESTIONS_AFTER_VOTES:
                raise InvalidInput(
                    _(
                        "questions_after_votes must be a whole number from 1 to %(high)s.",
                        high=MAX_QUESTIONS_AFTER_VOTES,
                    ),
                    field=name,
                )
        elif name == "analysis_profile":
            if value not in ANALYSIS_PROFILES:
                raise InvalidInput(
                    _(
                        "analysis_profile must be one of %(choices)s.",
                        choices=", ".join(ANALYSIS_PROFILES),
                    ),
                    field=name,
                )
        elif name == "embed_origins":
            checked[name] = _checked_origins(value)
        elif not isinstance(value, bool):
            raise InvalidInput(_("%(name)s must be true or false.", name=name), field=name)
    return checked


def _checked_origins(value: object) -> list[str]:
    """Distinct origins, in lower case and in the order given; InvalidInput otherwise."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(
            _("embed_origins must be a list of origins such as https://city.example."),
            field="embed_origins",
        )
    if len(value) > MAX_EMBED_ORIGINS:
        raise InvalidInput(
            _("At most %(limit)s origins may embed a consultation.", limit=MAX_EMBED_ORIGINS),
            field="embed_origins",
        )
    for origin in value:
        if not _ORIGIN.fullmatch(origin):
            raise InvalidInput(
                _(
                    "“%(origin)s” is not an origin: write the scheme (http or https), the "
                    "host and an optional port, with no path, e.g. https://city.example:8443.",
                    origin=origin[:100],
                ),
                field="embed_origins",
            )
    return list(dict.fromkeys(origin.lower() for origin in value))
