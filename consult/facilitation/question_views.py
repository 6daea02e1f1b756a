"""The optional questions about who took part, from the facilitator's side: add (their own or
a preset), edit, remove, reorder, and after how many votes they are asked.

No page here lists anyone's answers: they are the participants' own (services/questions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from consult.facilitation.page_changes import change_and_answer
from consult.facilitation.views import bp, lines
from consult.forms import whole_number
from consult.models import Conversation
from consult.security import current_user, login_required
from consult.services import consultations, questions, targets
from consult.services.consultations import MAX_QUESTIONS_AFTER_VOTES
from consult.services.errors import InvalidInput

PAGE = "/c/<conversation_id>/questions"
MOVES = {"up": -1, "down": 1}


@bp.get(PAGE)
@login_required
def questions_page(conversation_id: str) -> str:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return _page(conversation)


def _page(conversation: Conversation) -> str:
    listed = questions.questions_of(conversation)
    return render_template(
        "facilitation/questions.html",
        conversation=conversation,
        questions=listed,
        target_texts={question.id: targets.percent_texts(question) for question in listed},
        answered=questions.answered_question_ids(conversation),
        presets=questions.presets(),
        max_after_votes=MAX_QUESTIONS_AFTER_VOTES,
        max_questions=questions.MAX_QUESTIONS,
    )


@bp.post(PAGE)
@login_required
def add_question(conversation_id: str) -> Any:
    """A preset in one click (its choices editable afterwards), or a question of their own."""
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return _done(conversation, lambda: _add_from_form(conversation), _("The question is added."))


@bp.post(f"{PAGE}/<int:question_id>")
@login_required
def edit_question(conversation_id: str, question_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    question = questions.get_question(conversation, question_id)
    # A question already answered has no choices box: its text alone may change.
    choices = request.form.get("choices")
    return _done(
        conversation,
        lambda: questions.update_question(
            question,
            text=request.form.get("text", ""),
            choices=lines(choices) if choices is not None else None,
        ),
        _("The question is saved."),
    )


@bp.post(f"{PAGE}/<int:question_id>/targets")
@login_required
def question_targets(conversation_id: str, question_id: int) -> Any:
    """Each choice's share of the population, in percent; blank: no target for that choice."""
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    question = questions.get_question(conversation, question_id)
    return _done(
        conversation,
        lambda: targets.save_targets(
            question,
            targets.percent_targets(len(question.choices), request.form.getlist("target")),
        ),
        _("The targets are saved: the report compares participation with them."),
    )


@bp.post(f"{PAGE}/<int:question_id>/remove")
@login_required
def remove_question(conversation_id: str, question_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    question = questions.get_question(conversation, question_id)
    return _done(
        conversation,
        lambda: questions.remove_question(question),
        _("The question and its answers are removed."),
    )


@bp.post(f"{PAGE}/<int:question_id>/move")
@login_required
def move_question(conversation_id: str, question_id: int) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    question = questions.get_question(conversation, question_id)
    direction = request.form.get("direction", "")
    if direction not in MOVES:
        raise InvalidInput(_("direction must be up or down."), field="direction")
    return _done(
        conversation,
        lambda: questions.move_question(question, MOVES[direction]),
        _("The order is saved."),
    )


@bp.post(f"{PAGE}/timing")
@login_required
def question_timing(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return _done(
        conversation,
        lambda: consultations.update_conversation(
            conversation,
            settings={
                "questions_after_votes": whole_number(
                    request.form.get("questions_after_votes", ""),
                    "questions_after_votes",
                    high=MAX_QUESTIONS_AFTER_VOTES,
                )
            },
        ),
        _("Saved: the questions come after that many votes."),
    )


def _add_from_form(conversation: Conversation) -> None:
    preset = request.form.get("preset")
    if preset is not None:
        questions.add_preset(conversation, preset)
    else:
        text, choices = request.form.get("text", ""), lines(request.form.get("choices", ""))
        questions.add_question(conversation, text, choices)


def _done(conversation: Conversation, change: Callable[[], object], success: str) -> Any:
    return change_and_answer(
        change,
        success,
        url_for(".questions_page", conversation_id=conversation.id),
        lambda: _page(conversation),
    )
