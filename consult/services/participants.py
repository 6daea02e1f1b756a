"""Participants: created on first action, known by a token (API) or the session (pages)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, exists, select, union_all
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.models import Answer, Conversation, Participant, Segment, Statement, Vote, VoteEvent
from consult.security import hash_xid, sign_xid, xid_signature_is_valid
from consult.services.errors import Forbidden, InvalidInput, InvalidXid, Unauthenticated
from consult.services.text import clean_text
from consult.tokens import new_token, token_digest

MAX_XID_LENGTH = 255
MAX_INVITATIONS = 10_000


def verified_xid_hash(
    conversation: Conversation, xid: object, signature: object, secret: str | bytes
) -> str:
    """The stored hash of `xid` if `signature` is Consult's for it in `conversation`.

    Only a link Consult signed vouches for who someone is; a bare xid is refused, since
    anyone who knows or guesses it could otherwise take over that person's participant.
    """
    clean_xid = clean_text(xid, "xid", max_length=MAX_XID_LENGTH)
    if signature is None:
        raise InvalidXid(_("An xid is accepted only with the signature of its personal link."))
    if not isinstance(signature, str):
        raise InvalidInput(_("xid_signature must be a string."), field="xid_signature")
    if not xid_signature_is_valid(secret, conversation.id, clean_xid, signature):
        raise InvalidXid(_("This xid and signature do not come from a personal link of ours."))
    return hash_xid(secret, conversation.id, clean_xid)


def join(
    conversation: Conversation,
    xid_hash: str | None = None,
    *,
    address_hash: str | None = None,
    segment: Segment | None = None,
) -> tuple[Participant, str, bool]:
    """Return (participant, new token, created) for someone joining `conversation`.

    `xid_hash` comes from `verified_xid_hash`: the same person always gets the same
    participant back, with a fresh token that ends the earlier one. `address_hash` (from
    `consult.security.hash_address`) is kept with a new participant, for brigading checks.
    `segment` (from the link they came by) is given to a new participant only: someone who
    already takes part keeps the segment they first came with, so a second link changes nothing.
    """
    if xid_hash is None and conversation.require_xid:
        raise Forbidden(_("This consultation is open only through a link from its organisers."))
    token = new_token()
    participant = participant_by_xid_hash(conversation, xid_hash) if xid_hash else None
    if participant is not None:
        participant.token_hash = token_digest(token)
        db.session.commit()
        return participant, token, False
    participant = Participant(
        conversation_id=conversation.id,
        xid_hash=xid_hash,
        token_hash=token_digest(token),
        address_hash=address_hash,
        segment_id=segment.id if segment is not None else None,
    )
    db.session.add(participant)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first requests with the same xid at once: the other one made the participant.
        db.session.rollback()
        if xid_hash is None:
            raise
        return join(conversation, xid_hash)
    return participant, token, True


def withdraw_if_unused(participant: Participant) -> bool:
    """Delete a participant who has nothing stored (no vote, statement or answer): what a
    refused first action leaves behind, so that counts show only people who took part.
    True if deleted."""
    uses = union_all(
        select(Vote.participant_id).where(Vote.participant_id == participant.id),
        select(VoteEvent.participant_id).where(VoteEvent.participant_id == participant.id),
        select(Answer.participant_id).where(Answer.participant_id == participant.id),
        select(Statement.author_participant_id).where(
            Statement.author_participant_id == participant.id
        ),
    )
    if db.session.scalar(select(exists(uses.subquery()))):
        return False
    db.session.execute(delete(Participant).where(Participant.id == participant.id))
    db.session.commit()
    return True


def adopt_token(participant_id: int, token: str) -> bool:
    """Make `token` the API token of a participant just made; False if another has it
    (two first requests with the same token at once: the other one kept it)."""
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        return False
    participant.token_hash = token_digest(token)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def invitations(
    conversation: Conversation, xids: object, secret: str | bytes
) -> list[tuple[str, str]]:
    """(xid, signature) for each distinct xid, in order: what personal links carry.

    Nothing is stored: the same key makes the same links again.
    """
    if not isinstance(xids, list) or not xids:
        raise InvalidInput(_("xids must be a non-empty list of strings."), field="xids")
    if len(xids) > MAX_INVITATIONS:
        message = _("At most %(most)s xids at a time.", most=MAX_INVITATIONS)
        raise InvalidInput(message, field="xids")
    cleaned = dict.fromkeys(clean_text(xid, "xids", max_length=MAX_XID_LENGTH) for xid in xids)
    return [(xid, sign_xid(secret, conversation.id, xid)) for xid in cleaned]


def participant_for_token(conversation: Conversation, token: str | None) -> Participant:
    if not token:
        raise Unauthenticated(_("A participant token is needed: POST …/participants first."))
    participant = db.session.scalar(select(Participant).filter_by(token_hash=token_digest(token)))
    if participant is None:
        raise Unauthenticated(_("This participant token is not valid."))
    if participant.conversation_id != conversation.id:
        raise Forbidden(_("This participant token belongs to another consultation."))
    return participant


def participant_by_id(conversation: Conversation, participant_id: object) -> Participant | None:
    """The participant a browser session remembers, if it still exists in this consultation."""
    if not isinstance(participant_id, int) or isinstance(participant_id, bool):
        return None
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.conversation_id != conversation.id:
        return None
    return participant


def participant_by_xid_hash(conversation: Conversation, xid_hash: str) -> Participant | None:
    """The participant a verified personal link already has in `conversation`, if any."""
    return db.session.scalar(
        select(Participant).filter_by(conversation_id=conversation.id, xid_hash=xid_hash)
    )
