"""How the input was used: a consultation's outcome and its responses to statements and groups.

A facilitator writes an overall statement and responses, each to one statement or to one
group of the latest analysis. Nothing of it is public until the outcome is published; then
every response is, except those to statements participants do not see (rejected, or not yet
accepted under strict moderation): moderation's word stands over the outcome's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consult.extensions import db
from consult.models import (
    Conversation,
    Outcome,
    OutcomeResponse,
    ResponseStatus,
    Statement,
    as_utc,
    utcnow,
)
from consult.services.analyses import latest_analysis
from consult.services.analysis_view import group_label, group_name
from consult.services.errors import Conflict, InvalidInput, NotFound
from consult.services.numbers import json_id, json_integer
from consult.services.statements import is_visible, visible_statement
from consult.services.text import clean_text

MAX_OUTCOME_TEXT = 10_000
MAX_RESPONSE_TEXT = 2_000
STATUS_LABELS = {
    ResponseStatus.ADOPTED: lazy_gettext("Adopted"),
    ResponseStatus.PARTLY_ADOPTED: lazy_gettext("Partly adopted"),
    ResponseStatus.UNDER_CONSIDERATION: lazy_gettext("Under consideration"),
    ResponseStatus.NOT_TAKEN_UP: lazy_gettext("Not taken up"),
}


@dataclass(frozen=True)
class ResponseView:
    """One response as pages, the API and exports show it; times are in UTC."""

    id: int
    statement_id: int | None
    statement_text: str | None
    group_id: int | None
    group_label: str | None
    status: ResponseStatus
    text: str
    created_at: datetime
    updated_at: datetime
    public: bool  # shown to participants once the outcome is published

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def edited(self) -> bool:
        return self.updated_at > self.created_at

    @property
    def group_name(self) -> str | None:
        """The group's name in the page's language ("Groupe A"); `group_label` is the stable
        English one stored and exported."""
        return None if self.group_id is None else group_name(self.group_id)


@dataclass(frozen=True)
class OutcomeView:
    """The outcome as a whole; `published_at` is None for a draft (or no outcome yet)."""

    text: str
    published_at: datetime | None
    updated_at: datetime | None
    responses: list[ResponseView]

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def response_to(self, statement_id: int) -> ResponseView | None:
        return next((r for r in self.responses if r.statement_id == statement_id), None)


# --- Reading ---------------------------------------------------------------------------


def facilitator_view(conversation: Conversation) -> OutcomeView:
    """Everything, draft or published, with each response's `public` flag."""
    outcome = db.session.get(Outcome, conversation.id)
    return OutcomeView(
        text=outcome.text if outcome else "",
        published_at=as_utc(outcome.published_at) if outcome and outcome.published_at else None,
        updated_at=as_utc(outcome.updated_at) if outcome else None,
        responses=[response_view(conversation, r) for r in _responses(conversation)],
    )


def published_view(conversation: Conversation) -> OutcomeView | None:
    """What the public sees: None until published, and only the public responses."""
    outcome = db.session.get(Outcome, conversation.id)
    if outcome is None or outcome.published_at is None:
        return None
    view = facilitator_view(conversation)
    return OutcomeView(
        text=view.text,
        published_at=view.published_at,
        updated_at=view.updated_at,
        responses=[r for r in view.responses if r.public],
    )


def response_view(conversation: Conversation, response: OutcomeResponse) -> ResponseView:
    """One response as shown; `public` says whether participants may see it."""
    statement = response.statement
    return ResponseView(
        id=response.id,
        statement_id=response.statement_id,
        statement_text=statement.text if statement else None,
        group_id=response.group_id,
        group_label=response.group_label,
        status=response.status,
        text=response.text,
        created_at=as_utc(response.created_at),
        updated_at=as_utc(response.updated_at),
        public=statement is None or is_visible(conversation, statement),
    )


def outcome_document(view: OutcomeView) -> dict[str, Any]:
    """The outcome as JSON-ready values (the API's answer, the exports' part)."""
    return {
        "text": view.text,
        "published": view.published,
        "published_at": _iso(view.published_at),
        "updated_at": _iso(view.updated_at),
        "responses": [response_document(r) for r in view.responses],
    }


def response_document(response: ResponseView) -> dict[str, Any]:
    return {
        "id": response.id,
        "statement_id": response.statement_id,
        "statement_text": response.statement_text,
        "group_id": response.group_id,
        "group_label": response.group_label,
        "status": response.status.value,
        "text": response.text,
        "created_at": _iso(response.created_at),
        "updated_at": _iso(response.updated_at),
        "public": response.public,
    }


def outcome_for_export(conversation: Conversation) -> dict[str, Any] | None:
    """The published outcome for the report, the PDF and the open data; None if unpublished.

    Pseudonymous by construction: statement ids and texts, group ids and labels, times;
    nothing about who wrote a statement or the response.
    """
    view = published_view(conversation)
    return None if view is None else outcome_document(view)


def current_groups(conversation: Conversation) -> dict[int, str]:
    """The groups of the latest analysis a response may answer: stable id -> label.

    Read from the analysis summary (kept for every version, never the full document); none
    while the analysis is not ready to show groups, since nobody would see them.
    """
    latest = latest_analysis(conversation)
    summary = (latest.summary if latest else None) or {}
    if not summary.get("ready"):
        return {}
    ids = [g.get("id") for g in summary.get("groups", []) if isinstance(g, Mapping)]
    return {i: group_label(i) for i in ids if isinstance(i, int) and not isinstance(i, bool)}


def statements_to_answer(conversation: Conversation) -> list[Statement]:
    """Statements participants see that have no response yet, oldest first."""
    answered = select(OutcomeResponse.statement_id).where(
        OutcomeResponse.conversation_id == conversation.id,
        OutcomeResponse.statement_id.is_not(None),
    )
    rows = db.session.scalars(
        select(Statement)
        .where(
            Statement.conversation_id == conversation.id,
            visible_statement(conversation),
            Statement.id.not_in(answered),
        )
        .order_by(Statement.id)
    )
    return list(rows)


def groups_to_answer(conversation: Conversation) -> dict[int, str]:
    """Groups of the latest analysis that have no response yet."""
    answered = set(
        db.session.scalars(
            select(OutcomeResponse.group_id).where(
                OutcomeResponse.conversation_id == conversation.id,
                OutcomeResponse.group_id.is_not(None),
            )
        )
    )
    # Named in the facilitator's language; the stored label stays the English one.
    return {i: group_name(i) for i in current_groups(conversation) if i not in answered}


def get_response(conversation: Conversation, response_id: object) -> OutcomeResponse:
    row_id = json_id(response_id)
    response = db.session.get(OutcomeResponse, row_id) if row_id is not None else None
    if response is None or response.conversation_id != conversation.id:
        raise NotFound(_("There is no such response in this consultation's outcome."))
    return response


# --- Writing (each checks everything before it changes anything) -------------------------


def save_outcome(conversation: Conversation, *, text: object, published: object) -> Outcome:
    """Write the overall statement, and publish or withdraw the outcome."""
    cleaned = clean_text(text, "text", max_length=MAX_OUTCOME_TEXT, min_length=0)
    if not isinstance(published, bool):
        raise InvalidInput(_("published must be true or false."), field="published")
    if published and not cleaned:
        raise InvalidInput(_("Write the overall statement before publishing."), field="text")
    outcome = db.session.get(Outcome, conversation.id)
    if outcome is None:
        outcome = Outcome(conversation_id=conversation.id)
        db.session.add(outcome)
    now = utcnow()
    outcome.text = cleaned
    # The first publication's date stays while it is public; withdrawing clears it.
    if not published:
        outcome.published_at = None
    elif outcome.published_at is None:
        outcome.published_at = now
    outcome.updated_at = now
    # Two first saves at once both insert the row: the second is told, not a 500.
    _commit_or_conflict(_("The outcome was saved by someone else just now: reload and try again."))
    return outcome


def add_response(
    conversation: Conversation,
    *,
    statement_id: object = None,
    group_id: object = None,
    status: object,
    text: object,
) -> OutcomeResponse:
    """A response to one statement participants see, or to one group of the latest analysis."""
    checked_status = _status(status)
    checked_text = _response_text(text)
    if (statement_id is None) == (group_id is None):
        raise InvalidInput(_("A response answers either a statement or a group (one of the two)."))
    response = OutcomeResponse(
        conversation_id=conversation.id, status=checked_status, text=checked_text
    )
    if statement_id is not None:
        response.statement_id = _answerable_statement(conversation, statement_id).id
    else:
        response.group_id, response.group_label = _answerable_group(conversation, group_id)
    now = utcnow()
    response.created_at = response.updated_at = now
    _outcome_changed(conversation.id, now)  # before the add: its lookup would flush the response
    db.session.add(response)
    _commit_or_conflict(
        _("This statement or group already has a response: change that one instead.")
    )
    return response


def update_response(response: OutcomeResponse, changes: Mapping[str, object]) -> OutcomeResponse:
    """Change a response's status and/or text (its statement or group stays)."""
    unknown = set(changes) - {"status", "text"}
    if unknown:
        raise InvalidInput(
            _("Only status and text can change, not %(names)s.", names=", ".join(sorted(unknown)))
        )
    status = _status(changes["status"]) if "status" in changes else response.status
    text = _response_text(changes["text"]) if "text" in changes else response.text
    if (status, text) != (response.status, response.text):
        response.status, response.text = status, text
        response.updated_at = utcnow()
        _outcome_changed(response.conversation_id, response.updated_at)
    db.session.commit()
    return response


def delete_response(response: OutcomeResponse) -> None:
    """Remove a response for good: nothing of it stays public, but the outcome's "updated"
    date says that it changed."""
    _outcome_changed(response.conversation_id, utcnow())
    db.session.delete(response)
    db.session.commit()


# --- Private helpers ---------------------------------------------------------------------


def _outcome_changed(conversation_id: str, moment: datetime) -> None:
    """A response added, changed or deleted changes the outcome: readers of a published one
    see "updated" with its date (`Outcome.updated_at`), not the date of its first text."""
    outcome = db.session.get(Outcome, conversation_id)
    if outcome is not None:
        outcome.updated_at = moment


def _responses(conversation: Conversation) -> list[OutcomeResponse]:
    rows = db.session.scalars(
        select(OutcomeResponse)
        .options(selectinload(OutcomeResponse.statement))
        .where(OutcomeResponse.conversation_id == conversation.id)
        # Groups first (they speak for many), then statements in the order they were made.
        .order_by(
            OutcomeResponse.statement_id.is_not(None),
            OutcomeResponse.group_id,
            OutcomeResponse.statement_id,
        )
    )
    return list(rows)


def _answerable_statement(conversation: Conversation, statement_id: object) -> Statement:
    row_id = json_id(statement_id)
    statement = db.session.get(Statement, row_id) if row_id is not None else None
    if statement is None or statement.conversation_id != conversation.id:
        raise InvalidInput(
            _("There is no such statement in this consultation."), field="statement_id"
        )
    if not is_visible(conversation, statement):
        raise InvalidInput(
            _(
                "Participants do not see this statement (rejected, or waiting for moderation), "
                "so it cannot have a public response."
            ),
            field="statement_id",
        )
    return statement


def _answerable_group(conversation: Conversation, group_id: object) -> tuple[int, str]:
    groups = current_groups(conversation)
    number = json_integer(group_id)
    if number not in groups:
        raise InvalidInput(
            _("There is no such group in the latest analysis of this consultation."),
            field="group_id",
        )
    return number, groups[number]


def _status(raw: object) -> ResponseStatus:
    try:
        return ResponseStatus(raw)
    except ValueError:
        choices = ", ".join(status.value for status in ResponseStatus)
        raise InvalidInput(
            _("status must be one of %(choices)s.", choices=choices), field="status"
        ) from None


def _response_text(raw: object) -> str:
    return clean_text(raw, "text", max_length=MAX_RESPONSE_TEXT)


def _commit_or_conflict(message: str) -> None:
    """Commit; a unique key taken meanwhile (or already) is a 409 with `message`, not a 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(message) from None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
