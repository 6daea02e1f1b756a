"""A citizen's own data in one consultation: see what is kept, download it, erase it."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from consult.participation.views import bp, participant_of_this_browser
from consult.services import consultations, participant_data, questions
from consult.services.errors import InvalidInput


@bp.get("/c/<conversation_id>/my-data")
def my_data(conversation_id: str) -> str:
    conversation = consultations.get_conversation(conversation_id)
    participant = participant_of_this_browser(conversation)
    data = participant_data.download(conversation, participant) if participant else None
    # Their answers may be changed once they were asked (answered or skipped), not before.
    asked = questions.questions_of(conversation) if participant else []
    return render_template(
        "participation/my_data.html",
        conversation=conversation,
        data=data,
        asked=asked,
        chosen=questions.answers_of(participant) if participant else {},
        may_change_answers=bool(asked)
        and participant.questions_done_at is not None
        and conversation.is_open,
    )


@bp.get("/c/<conversation_id>/my-data.json")
def my_data_file(conversation_id: str) -> Response:
    conversation = consultations.get_conversation(conversation_id)
    participant = participant_of_this_browser(conversation)
    data = participant_data.download(conversation, participant) if participant else {}
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="my-data-{conversation.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/c/<conversation_id>/my-data/erase")
def erase_my_data(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    if request.form.get("confirm") != "yes":
        raise InvalidInput(_("Tick the box to confirm that you want your data erased."))
    participant = participant_of_this_browser(conversation)
    if participant is not None:
        participant_data.erase(conversation, participant)
    for key in ("participants", "xid_hashes"):  # this browser forgets them too
        remembered = session.get(key, {})
        if conversation.id in remembered:
            session[key] = {k: v for k, v in remembered.items() if k != conversation.id}
    flash(_("Your votes and statements in this consultation are erased."), "success")
    return redirect(url_for(".conversation", conversation_id=conversation.id))
