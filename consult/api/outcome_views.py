"""API routes for how the input was used: the outcome and its responses."""

from __future__ import annotations

from typing import Any

from consult.api.inputs import facilitator, facilitator_or_none, json_object, only_fields
from consult.api.views import bp
from consult.services import consultations, outcomes
from consult.services.errors import NotFound

OUTCOME = "/conversations/<conversation_id>/outcome"


@bp.get(OUTCOME)
def get_outcome(conversation_id: str) -> Any:
    """The published outcome for anyone; the draft too for the consultation's facilitators."""
    conversation = consultations.get_conversation(conversation_id)
    if consultations.can_manage(facilitator_or_none(), conversation):
        return outcomes.outcome_document(outcomes.facilitator_view(conversation))
    view = outcomes.published_view(conversation)
    if view is None:
        raise NotFound("No outcome has been published for this consultation yet.")
    return outcomes.outcome_document(view)


@bp.put(OUTCOME)
def put_outcome(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"text", "published"})
    outcomes.save_outcome(conversation, text=body.get("text"), published=body.get("published"))
    return outcomes.outcome_document(outcomes.facilitator_view(conversation))


@bp.post(f"{OUTCOME}/responses")
def add_outcome_response(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"statement_id", "group_id", "status", "text"})
    response = outcomes.add_response(
        conversation,
        statement_id=body.get("statement_id"),
        group_id=body.get("group_id"),
        status=body.get("status"),
        text=body.get("text"),
    )
    return outcomes.response_document(outcomes.response_view(conversation, response)), 201


@bp.patch(f"{OUTCOME}/responses/<response_id>")
def update_outcome_response(conversation_id: str, response_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"status", "text"})
    response = outcomes.get_response(conversation, _id(response_id))
    outcomes.update_response(response, body)
    return outcomes.response_document(outcomes.response_view(conversation, response))


@bp.delete(f"{OUTCOME}/responses/<response_id>")
def delete_outcome_response(conversation_id: str, response_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    outcomes.delete_response(outcomes.get_response(conversation, _id(response_id)))
    return "", 204


def _id(raw: str) -> int | None:
    """A path segment as an id; anything else finds nothing (a 404, like an unknown id)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 16 else None
