"""Segments from the facilitator's side: create by name, copy each link, rename, delete, and
how many participants came by each (not shown under CONSULT_MIN_CELL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _

from consult.api.serializers import segment_url
from consult.facilitation.page_changes import change_and_answer
from consult.facilitation.views import bp
from consult.models import Conversation
from consult.security import current_user, login_required
from consult.services import consultations, segments

PAGE = "/c/<conversation_id>/segments"


@bp.get(PAGE)
@login_required
def segments_page(conversation_id: str) -> str:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return _page(conversation)


@bp.post(PAGE)
@login_required
def add_segment(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return _done(
        conversation,
        lambda: segments.create_segment(conversation, request.form.get("name", "")),
        _("The segment is added: send its link."),
    )


@bp.post(f"{PAGE}/<int:segment_id>")
@login_required
def rename_segment(conversation_id: str, segment_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    segment = segments.get_segment(conversation, segment_id)
    return _done(
        conversation,
        lambda: segments.rename_segment(segment, request.form.get("name", "")),
        _("The segment is renamed."),
    )


@bp.post(f"{PAGE}/<int:segment_id>/delete")
@login_required
def delete_segment(conversation_id: str, segment_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    segment = segments.get_segment(conversation, segment_id)
    return _done(
        conversation,
        lambda: segments.delete_segment(segment),
        _("The segment and its link are deleted; its participants stay, with no segment."),
    )


def _page(conversation: Conversation, *, form_name: str = "") -> str:
    min_cell = current_app.config["CONSULT_MIN_CELL"]
    counts = segments.shown_participant_counts(conversation, min_cell)
    rows = [
        {"segment": segment, "url": segment_url(segment), "count": counts[segment.id]}
        for segment in segments.segments_of(conversation)
    ]
    return render_template(
        "facilitation/segments.html",
        conversation=conversation,
        rows=rows,
        min_cell=min_cell,
        form_name=form_name,
        max_name_length=segments.MAX_NAME_LENGTH,
    )


def _done(conversation: Conversation, change: Callable[[], object], success: str) -> Any:
    return change_and_answer(
        change,
        success,
        url_for(".segments_page", conversation_id=conversation.id),
        lambda: _page(conversation, form_name=request.form.get("name", "")),
    )
