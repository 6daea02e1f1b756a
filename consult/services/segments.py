"""Segments: named invitation links (the assembly's members, the general public, a partner
organisation). A participant's segment is the one of the link they came by when they were
created; it is counted per segment, never exported per person."""

from __future__ import annotations

from collections.abc import Hashable

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.models import Conversation, Participant, Segment
from consult.services.errors import Conflict, InvalidInput, NotFound
from consult.services.suppression import TOTAL, one_way_equations, suppress
from consult.services.text import clean_text
from consult.tokens import new_request_key

MAX_NAME_LENGTH = 80
NO_SEGMENT = "no segment"  # the participants who came by no segment's link
MAX_SEGMENTS = 50  # a handful is the use; a cap keeps the page and the counts small


def segments_of(conversation: Conversation) -> list[Segment]:
    """The consultation's segments, oldest first."""
    return list(
        db.session.scalars(
            select(Segment).filter_by(conversation_id=conversation.id).order_by(Segment.id)
        )
    )


def get_segment(conversation: Conversation, segment_id: object) -> Segment:
    segment = db.session.get(Segment, segment_id) if isinstance(segment_id, int) else None
    if segment is None or segment.conversation_id != conversation.id:
        raise NotFound(_("This consultation has no such segment."))
    return segment


def segment_by_code(conversation: Conversation, code: object) -> Segment | None:
    """The segment whose link carries `code` in this consultation; None for anything else."""
    if not isinstance(code, str) or not code or len(code) > 32:
        return None
    return db.session.scalar(select(Segment).filter_by(conversation_id=conversation.id, code=code))


def create_segment(conversation: Conversation, name: object) -> Segment:
    clean_name = clean_text(name, "name", max_length=MAX_NAME_LENGTH)
    if len(segments_of(conversation)) >= MAX_SEGMENTS:
        raise InvalidInput(
            _("A consultation has at most %(most)s segments.", most=MAX_SEGMENTS), field="name"
        )
    # 128 random bits: the link cannot be guessed from another segment's.
    segment = Segment(conversation_id=conversation.id, name=clean_name, code=new_request_key())
    db.session.add(segment)
    _commit_unique_name(clean_name)
    return segment


def rename_segment(segment: Segment, name: object) -> Segment:
    clean_name = clean_text(name, "name", max_length=MAX_NAME_LENGTH)
    segment.name = clean_name
    _commit_unique_name(clean_name)
    return segment


def delete_segment(segment: Segment) -> None:
    """Remove a segment and its link; its participants stay, with none (ON DELETE SET NULL)."""
    db.session.delete(segment)
    db.session.commit()


def participant_counts(conversation: Conversation) -> dict[int, int]:
    """How many participants each segment has (segments with none are absent)."""
    rows = db.session.execute(
        select(Participant.segment_id, func.count())
        .where(Participant.conversation_id == conversation.id, Participant.segment_id.is_not(None))
        .group_by(Participant.segment_id)
    )
    return {segment_id: count for segment_id, count in rows}


def shown_participant_counts(conversation: Conversation, min_cell: int) -> dict[int, int | None]:
    """Each segment's participants as they may be shown: None where suppressed.

    A count under `min_cell` is hidden, and so is a second one where a published total minus
    the shown counts would give it back (consult.services.suppression). The consultation's
    participant total is published on the facilitator's pages. How many came without a
    segment is not shown, but is treated as known (it may be: "everyone came by a segment's
    link"), so it never stands in for a second hidden segment.
    """
    ids = [segment.id for segment in segments_of(conversation)]
    by_segment = participant_counts(conversation)
    total = db.session.scalar(
        select(func.count()).where(Participant.conversation_id == conversation.id)
    )
    counts: dict[Hashable, int] = {sid: by_segment.get(sid, 0) for sid in ids}
    counts[NO_SEGMENT] = total - sum(counts.values())
    counts[TOTAL] = total
    table = suppress(
        counts,
        one_way_equations([*ids, NO_SEGMENT]),
        min_cell,
        published={TOTAL, NO_SEGMENT},
    )
    return {sid: table.shown(sid) for sid in ids}


def _commit_unique_name(name: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("This consultation already has a segment named “%(name)s”.", name=name),
            field="name",
        ) from None
