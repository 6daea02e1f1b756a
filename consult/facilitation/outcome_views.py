"""The facilitator's outcome page: the overall statement and responses, by plain forms.

Each form posts, and redirects back on success (post-redirect-get). A refused form is shown
again with what was typed and the reason beside it (status 400), as the other forms here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.facilitation.views import bp
from consult.forms import form_checkbox, form_text, whole_number
from consult.models import Conversation, ResponseStatus
from consult.security import current_user, login_required
from consult.services import consultations, outcomes
from consult.services.errors import InvalidInput, ServiceError

PAGE = "/c/<conversation_id>/outcome"


@bp.get(PAGE)
@login_required
def outcome(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return _page(conversation)


@bp.post(PAGE)
@login_required
def save_outcome(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    published = form_checkbox(request.form, "published")
    try:
        outcomes.save_outcome(
            conversation, text=form_text(request.form, "text"), published=published
        )
    except ServiceError as error:
        return _page(conversation, refused=("outcome", error), typed=request.form)
    flash(_("The outcome is published.") if published else _("The draft is saved."), "success")
    return _back(conversation)


@bp.post(f"{PAGE}/responses")
@login_required
def add_outcome_response(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    try:
        statement_id, group_id = _target(request.form.get("target", ""))
        outcomes.add_response(
            conversation,
            statement_id=statement_id,
            group_id=group_id,
            status=request.form.get("status", ""),
            text=form_text(request.form, "text"),
        )
    except ServiceError as error:
        return _page(conversation, refused=("add", error), typed=request.form)
    flash(_("The response is added."), "success")
    return _back(conversation, "responses")


@bp.post(f"{PAGE}/responses/<int:response_id>")
@login_required
def update_outcome_response(conversation_id: str, response_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    response = outcomes.get_response(conversation, response_id)
    changes = {"status": request.form.get("status", ""), "text": form_text(request.form, "text")}
    try:
        outcomes.update_response(response, changes)
    except ServiceError as error:
        return _page(conversation, refused=(f"response-{response.id}", error), typed=request.form)
    flash(_("The response is changed."), "success")
    return _back(conversation, f"response-{response.id}")


@bp.post(f"{PAGE}/responses/<int:response_id>/delete")
@login_required
def delete_outcome_response(conversation_id: str, response_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    response = outcomes.get_response(conversation, response_id)
    # Deleting cannot be undone, and a published response disappears from public view.
    if request.form.get("confirm") != "yes":
        refused = InvalidInput(_("Tick the box to confirm that this response is to be deleted."))
        return _page(conversation, refused=(f"delete-{response.id}", refused))
    outcomes.delete_response(response)
    flash(_("The response is deleted."), "success")
    return _back(conversation, "responses")


def _page(
    conversation: Conversation,
    *,
    refused: tuple[str, ServiceError] | None = None,
    typed: Mapping[str, str] | None = None,
) -> Any:
    """The page; after a refused form, that form's reason beside it and what was typed."""
    form, error = refused if refused else ("", None)
    page = render_template(
        "facilitation/outcome.html",
        conversation=conversation,
        outcome=outcomes.facilitator_view(conversation),
        statements=outcomes.statements_to_answer(conversation),
        groups=outcomes.groups_to_answer(conversation),
        statuses=[(status.value, str(outcomes.STATUS_LABELS[status])) for status in ResponseStatus],
        refused_form=form,
        error=error.message if error else "",
        typed=typed or {},
    )
    return (page, error.status) if error else page


def _back(conversation: Conversation, anchor: str = "") -> Any:
    url = url_for(".outcome", conversation_id=conversation.id)
    return redirect(f"{url}#{anchor}" if anchor else url)


def _target(raw: str) -> tuple[int | None, int | None]:
    """The form's choice, "statement-12" or "group-1", as (statement_id, group_id)."""
    kind, _dash, number = raw.partition("-")
    if kind == "statement":
        return whole_number(number, "target"), None
    if kind == "group":
        return None, whole_number(number, "target", low=0)
    raise InvalidInput(_("Choose a statement or a group."), field="target")
