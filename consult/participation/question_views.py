"""The optional questions about who took part, from the citizen's side: answer or skip them
on the voting page, change or erase the answers on "Your data"."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from consult.forms import whole_number
from consult.participation.views import NEXT_STATEMENT, bp, note, participant_of_this_browser
from consult.services import consultations, questions
from consult.services.errors import InvalidInput

ANSWER_FIELD = "question-"  # the radio group of question 12 is "question-12"


@bp.post("/c/<conversation_id>/questions")
def answer_questions(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    action = request.form.get("action", "save")
    if action not in ("save", "skip"):
        raise InvalidInput(_("Choose “Save answers” or “Skip”."), field="action")
    participant = participant_of_this_browser(conversation)
    if action == "skip":
        questions.skip(conversation, participant)
        message = _("No questions, then. Thank you for voting.")
    else:
        questions.save_answers(conversation, participant, _form_answers())
        message = _("Thank you: your answers are saved.")
    if request.form.get("return_to") == "my_data":
        flash(message, "success")
        return redirect(url_for(".my_data", conversation_id=conversation.id) + "#answers")
    note("vote", "success", message)
    return redirect(url_for(".conversation", conversation_id=conversation.id) + NEXT_STATEMENT)


@bp.post("/c/<conversation_id>/my-data/answers/erase")
def erase_my_answers(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participant_of_this_browser(conversation)
    if participant is not None:
        questions.erase_answers(participant)
    flash(_("Your answers to the questions about you are erased."), "success")
    return redirect(url_for(".my_data", conversation_id=conversation.id) + "#answers")


def _form_answers() -> dict[str, int]:
    """question id -> choice index, as sent; "No answer" (an empty value) is left out."""
    highest = questions.MAX_CHOICES - 1
    return {
        name.removeprefix(ANSWER_FIELD): whole_number(value, "answer", low=0, high=highest)
        for name, value in request.form.items()
        if name.startswith(ANSWER_FIELD) and value != ""
    }
