"""Participants: created on first action, known by a token (API) or the session (pages)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.models import Conversation, Participant
from consult.security import new_token, token_digest
from consult.services.errors import Forbidden, Unauthenticated
from consult.services.text import clean_text

MAX_XID_LENGTH = 255


def join(conversation: Conversation, xid: object = None) -> tuple[Participant, str, bool]:
    """Return (participant, new token, created) for someone joining `conversation`.

    With an external id (`xid`) the same person always gets the same participant back, with
    a fresh token: the site that hands out xids vouches for who they are.
    """
    clean_xid = None if xid is None else clean_text(xid, "xid", max_length=MAX_XID_LENGTH)
    if clean_xid is None and conversation.require_xid:
        raise Forbidden("This consultation is open only through a link from its organisers.")
    token = new_token()
    participant = _by_xid(conversation, clean_xid) if clean_xid else None
    if participant is not None:
        participant.token_hash = token_digest(token)
        db.session.commit()
        return participant, token, False
    participant = Participant(
        conversation_id=conversation.id, xid=clean_xid, token_hash=token_digest(token)
    )
    db.session.add(participant)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first requests with the same xid at once: the other one made the participant.
        db.session.rollback()
        if clean_xid is None:
            raise
        return join(conversation, clean_xid)
    return participant, token, True


def participant_for_token(conversation: Conversation, token: str | None) -> Participant:
    if not token:
        raise Unauthenticated("A participant token is needed: POST …/participants first.")
    participant = db.session.scalar(
        select(Participant).filter_by(token_hash=token_digest(token))
    )
    if participant is None:
        raise Unauthenticated("This participant token is not valid.")
    if participant.conversation_id != conversation.id:
        raise Forbidden("This participant token belongs to another consultation.")
    return participant


def participant_by_id(conversation: Conversation, participant_id: object) -> Participant | None:
    """The participant a browser session remembers, if it still exists in this consultation."""
    if not isinstance(participant_id, int) or isinstance(participant_id, bool):
        return None
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.conversation_id != conversation.id:
        return None
    return participant


def _by_xid(conversation: Conversation, xid: str) -> Participant | None:
    return db.session.scalar(select(Participant).filter_by(conversation_id=conversation.id, xid=xid))
