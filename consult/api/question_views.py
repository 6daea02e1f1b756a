"""API routes for the optional questions about who took part: the facilitator's list, add,
change, reorder and remove (facilitator token); a participant's own answers (their token).

No route returns anyone's answers but the participant's own: never per participant to a
facilitator, never in an export.
"""

from __future__ import annotations

from typing import Any

from consult.api.inputs import bearer_token, facilitator, json_object, only_fields, path_id
from consult.api.views import bp
from consult.models import Conversation, Participant, Question
from consult.services import consultations, participants, questions
from consult.services.errors import InvalidInput

QUESTIONS = "/conversations/<conversation_id>/questions"
MY_ANSWERS = "/conversations/<conversation_id>/me/answers"


@bp.get(QUESTIONS)
def list_questions(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    answered = questions.answered_question_ids(conversation)
    return {
        "questions_after_votes": conversation.questions_after_votes,
        "questions": [
            _question_json(question, position, answered=question.id in answered)
            for position, question in enumerate(questions.questions_of(conversation), start=1)
        ],
    }


@bp.post(QUESTIONS)
def create_question(conversation_id: str) -> Any:
    """A question of their own (text and choices), or a preset by name (age, gender, area)."""
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"text", "choices", "preset"})
    if "preset" in body:
        if "text" in body or "choices" in body:
            raise InvalidInput("Send either a preset or text and choices, not both.")
        question = questions.add_preset(conversation, body["preset"])
    else:
        question = questions.add_question(conversation, body.get("text"), body.get("choices"))
    return _question_json(question, questions.position_of(question), answered=False), 201


@bp.patch(f"{QUESTIONS}/<question_id>")
def update_question(conversation_id: str, question_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"text", "choices", "position", "targets"})
    question = questions.get_question(conversation, path_id(question_id))
    if "position" in body:  # checked before anything changes
        questions.check_position(conversation, body["position"])
    questions.update_question(
        question,
        text=body.get("text"),
        choices=body.get("choices"),
        targets=body.get("targets", questions.KEEP),
    )
    if "position" in body:
        questions.place_question(question, body["position"])
    return _question_json(
        question, questions.position_of(question), answered=questions.has_answers(question)
    )


@bp.delete(f"{QUESTIONS}/<question_id>")
def delete_question(conversation_id: str, question_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    questions.remove_question(questions.get_question(conversation, path_id(question_id)))
    return "", 204


@bp.get(MY_ANSWERS)
def my_answers(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    return _answers_json(conversation, participant)


@bp.put(MY_ANSWERS)
def put_my_answers(conversation_id: str) -> Any:
    """All their answers at once (a question left out has none), or `skip`: asked no more."""
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    body = json_object()
    only_fields(body, {"answers", "skip"})
    if body.get("skip") is True and "answers" not in body:
        questions.skip(conversation, participant)
    elif "skip" in body:
        raise InvalidInput("skip must be true, and comes without answers.", field="skip")
    else:
        answers = body.get("answers")
        if not isinstance(answers, dict):
            raise InvalidInput(
                "answers must be an object of question ids to choice indices.", field="answers"
            )
        questions.save_answers(conversation, participant, answers)
    return _answers_json(conversation, participant)


@bp.delete(MY_ANSWERS)
def erase_my_answers(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    questions.erase_answers(participant)
    return "", 204


def _question_json(question: Question, position: int, *, answered: bool) -> dict[str, Any]:
    return {
        "id": question.id,
        "position": position,
        "text": question.text,
        "choices": question.choices,
        # Each choice's share of the population, null where it has none; null: no targets.
        "targets": question.targets,
        # Whether anyone answered (its choices are then fixed), never who nor how many.
        "answered": answered,
    }


def _answers_json(conversation: Conversation, participant: Participant) -> dict[str, Any]:
    return {
        "questions_after_votes": conversation.questions_after_votes,
        "due": bool(questions.questions_due(conversation, participant)),
        "done": participant.questions_done_at is not None,
        "questions": [
            {"id": q.id, "text": q.text, "choices": q.choices}
            for q in questions.questions_of(conversation)
        ],
        "answers": {str(qid): choice for qid, choice in questions.answers_of(participant).items()},
    }
