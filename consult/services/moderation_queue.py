"""The facilitator's moderation queue: a page of statements with who wrote them, when, and
how they were voted on.

Authors are shown by a number within the consultation ("Participant 12"), never by an xid,
a token or a database id: a facilitator moderates what was said, not who said it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from consult.extensions import db
from consult.models import Conversation, ModerationStatus, Participant, Statement
from consult.services.errors import InvalidInput
from consult.services.statements import statements_for_moderation
from consult.services.tallies import Tally, statement_tallies

MAX_SEARCH_LENGTH = 200
# A statement's status as the facilitator's pages and the report name it.
STATUS_NAMES = {
    ModerationStatus.UNMODERATED.value: lazy_gettext("unmoderated"),
    ModerationStatus.ACCEPTED.value: lazy_gettext("accepted"),
    ModerationStatus.REJECTED.value: lazy_gettext("rejected"),
}


@dataclass(frozen=True)
class QueueRow:
    statement: Statement
    author: str
    tally: Tally


def queue_page(
    conversation: Conversation,
    status: ModerationStatus | None,
    page: int,
    per_page: int,
    *,
    search: str = "",
) -> tuple[list[QueueRow], int]:
    """One page of the queue (newest first) and how many statements match in all."""
    if len(search) > MAX_SEARCH_LENGTH:
        raise InvalidInput(
            _("Search for at most %(limit)s characters.", limit=MAX_SEARCH_LENGTH), field="q"
        )
    found, total = statements_for_moderation(conversation, status, page, per_page, search=search)
    numbers = participant_numbers(
        conversation, {s.author_participant_id for s in found if s.author_participant_id}
    )
    tallies = statement_tallies([s.id for s in found])
    rows = [
        QueueRow(
            statement=s,
            author=_author(s, numbers),
            tally=tallies.get(s.id, Tally()),
        )
        for s in found
    ]
    return rows, total


def participant_numbers(conversation: Conversation, ids: Collection[int]) -> dict[int, int]:
    """Each participant's number in the consultation: 1 for the first to join, and so on.

    (The open-data files count the same people from 0, as Polis does: theirs is this minus 1.)
    """
    if not ids:
        return {}
    earlier = aliased(Participant)
    joined_before = (
        select(func.count())
        .select_from(earlier)
        .where(earlier.conversation_id == conversation.id, earlier.id < Participant.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Participant.id, joined_before).where(
            Participant.conversation_id == conversation.id, Participant.id.in_(ids)
        )
    )
    return {participant_id: before + 1 for participant_id, before in rows}


def _author(statement: Statement, numbers: dict[int, int]) -> str:
    if statement.author_participant_id in numbers:
        return _("Participant %(number)s", number=numbers[statement.author_participant_id])
    if statement.is_seed:
        return _("Facilitator")
    return _("A participant who erased their data")  # their statement was kept, detached
