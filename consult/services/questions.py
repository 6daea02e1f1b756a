"""Optional questions about who took part (age band, gender, area, or the facilitator's own).

Asked once, after the participant's Nth vote (the consultation's `questions_after_votes`),
never before voting; skipping is one step. Answers are kept apart from votes, are an index
into the question's fixed choices, and are never exported per participant: only the
participant themselves sees, changes, downloads or erases theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.models import Answer, Conversation, Participant, Question, Vote, utcnow
from consult.services.errors import Conflict, ConsultationClosed, InvalidInput, NotFound
from consult.services.numbers import json_id, json_integer
from consult.services.targets import checked_targets
from consult.services.text import clean_text, isolated

KEEP = object()  # update_question: leave the targets as they are
MAX_QUESTIONS = 10  # a few questions: more and people stop answering, or stop voting
MAX_QUESTION_LENGTH = 200
MIN_CHOICES, MAX_CHOICES = 2, 12
MAX_CHOICE_LENGTH = 80


def presets() -> dict[str, tuple[str, list[str]]]:
    """The one-click questions, in the facilitator's language; their choices stay editable."""
    prefer_not = _("Prefer not to say")
    return {
        "age": (
            _("How old are you?"),
            [
                _("Under 18"),
                "18–24",
                "25–34",
                "35–44",
                "45–54",
                "55–64",
                _("65 or over"),
                prefer_not,
            ],
        ),
        "gender": (
            _("What is your gender?"),
            [_("Woman"), _("Man"), _("In another way"), prefer_not],
        ),
        "area": (
            _("Where do you live?"),
            [
                _("In a city"),
                _("In a town or suburb"),
                _("In a village or the countryside"),
                prefer_not,
            ],
        ),
    }


def questions_of(conversation: Conversation) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.conversation_id == conversation.id)
            .order_by(Question.position, Question.id)
        )
    )


def get_question(conversation: Conversation, question_id: object) -> Question:
    """The question of `conversation` with this id, or NotFound."""
    number = json_id(question_id)
    question = db.session.get(Question, number) if number is not None else None
    if question is None or question.conversation_id != conversation.id:
        raise NotFound(_("This consultation has no such question."))
    return question


def add_question(conversation: Conversation, text: object, choices: object) -> Question:
    """Add a question at the end; InvalidInput if its text or choices are not usable."""
    clean = clean_text(text, "text", max_length=MAX_QUESTION_LENGTH)
    checked = _checked_choices(choices)
    existing = questions_of(conversation)
    if len(existing) >= MAX_QUESTIONS:
        raise InvalidInput(_("A consultation has at most %(most)s questions.", most=MAX_QUESTIONS))
    position = existing[-1].position + 1 if existing else 1
    question = Question(
        conversation_id=conversation.id, position=position, text=clean, choices=checked
    )
    db.session.add(question)
    db.session.commit()
    return question


def add_preset(conversation: Conversation, name: object) -> Question:
    """Add one of `presets()` by its name (age, gender, area)."""
    known = presets()
    if not isinstance(name, str) or name not in known:
        raise InvalidInput(
            _("preset must be one of %(names)s.", names=", ".join(known)), field="preset"
        )
    text, choices = known[name]
    return add_question(conversation, text, choices)


def update_question(
    question: Question, *, text: object = None, choices: object = None, targets: object = KEEP
) -> Question:
    """Change the text, the choices and/or the target shares (`services.targets`, of the new
    choices where they change too); all checked before any changes, in one commit.

    Choices of a question someone has answered are refused (Conflict): answers are indices
    into them, so a new list would silently give people answers they never gave.
    """
    clean = clean_text(text, "text", max_length=MAX_QUESTION_LENGTH) if text is not None else None
    checked = _checked_choices(choices) if choices is not None else None
    if checked is not None and checked != question.choices and has_answers(question):
        raise Conflict(
            _(
                "People have answered this question, so its choices cannot change: their "
                "answers would then mean something else. Remove it and add a new one instead."
            ),
            field="choices",
        )
    if targets is not KEEP:
        shares = checked_targets(len(checked or question.choices), targets)
    if clean is not None:
        question.text = clean
    if checked is not None and checked != question.choices:
        question.choices = checked
        question.targets = None  # they were shares of the old choices
    if targets is not KEEP:
        question.targets = shares
    db.session.commit()
    return question


def check_position(conversation: Conversation, position: object) -> int:
    """`position` as a place among the consultation's questions (1 = first), or InvalidInput."""
    count = len(questions_of(conversation))
    place = json_integer(position)
    if place is None or not 1 <= place <= count:
        raise InvalidInput(
            _("position must be a whole number from 1 to %(high)s.", high=count),
            field="position",
        )
    return place


def place_question(question: Question, position: object) -> None:
    """Put a question at `position` (1 = first) in its consultation's order."""
    conversation = db.session.get(Conversation, question.conversation_id)
    place = check_position(conversation, position)
    ordered = [each for each in questions_of(conversation) if each.id != question.id]
    ordered.insert(place - 1, question)
    for number, each in enumerate(ordered, start=1):
        each.position = number
    db.session.commit()


def move_question(question: Question, offset: int) -> None:
    """Move a question up (-1) or down (+1); the first stays first, the last stays last."""
    conversation = db.session.get(Conversation, question.conversation_id)
    count = len(questions_of(conversation))
    target = min(max(position_of(question) + offset, 1), count)
    place_question(question, target)


def position_of(question: Question) -> int:
    """Where the question comes, 1 = first (positions may have gaps after a removal)."""
    conversation = db.session.get(Conversation, question.conversation_id)
    return [each.id for each in questions_of(conversation)].index(question.id) + 1


def remove_question(question: Question) -> None:
    """Delete a question and every answer to it."""
    db.session.execute(delete(Answer).where(Answer.question_id == question.id))
    db.session.delete(question)
    db.session.commit()


def has_answers(question: Question) -> bool:
    first = select(Answer.id).where(Answer.question_id == question.id).limit(1)
    return db.session.scalar(first) is not None


def answered_question_ids(conversation: Conversation) -> set[int]:
    """Which questions have at least one answer (never how many, nor whose)."""
    rows = db.session.scalars(
        select(Answer.question_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.conversation_id == conversation.id)
        .distinct()
    )
    return set(rows)


def questions_due(conversation: Conversation, participant: Participant | None) -> list[Question]:
    """The questions to ask `participant` now: none before their Nth vote, none once done."""
    if participant is None or participant.questions_done_at is not None:
        return []
    if not conversation.is_open:
        return []
    # Every vote asks: the questions first (most consultations have none), then the count.
    asked = questions_of(conversation)
    if not asked or _vote_count(participant) < conversation.questions_after_votes:
        return []
    return asked


def answers_of(participant: Participant) -> dict[int, int]:
    """The participant's answers: question id -> index of the choice."""
    rows = db.session.execute(
        select(Answer.question_id, Answer.choice).where(Answer.participant_id == participant.id)
    )
    return {question_id: choice for question_id, choice in rows}


def my_answers(participant: Participant) -> list[tuple[Question, Answer]]:
    """The participant's answers with their questions, in the questions' order."""
    rows = db.session.execute(
        select(Question, Answer)
        .join(Answer, Answer.question_id == Question.id)
        .where(Answer.participant_id == participant.id)
        .order_by(Question.position, Question.id)
    )
    return [(question, answer) for question, answer in rows]


def save_answers(
    conversation: Conversation, participant: Participant | None, answers: Mapping[object, object]
) -> None:
    """Make `answers` (question id -> choice index) the participant's answers, all of them.

    A question left out has no answer (every question is optional). Everything is checked
    before anything changes. Refused before the Nth vote unless they were asked already.
    """
    _may_answer(conversation, participant)
    checked = _checked_answers(conversation, answers)
    try:
        _store_answers(participant, checked)
    except IntegrityError:
        # The same answers sent twice at once (a double tap): the other request stored its
        # rows first; once more, this one finds and updates them.
        db.session.rollback()
        _store_answers(participant, checked)


def skip(conversation: Conversation, participant: Participant | None) -> None:
    """Not now, not later: they are not asked again (and keep any answers they gave)."""
    _may_answer(conversation, participant)
    participant.questions_done_at = participant.questions_done_at or utcnow()
    db.session.commit()


def erase_answers(participant: Participant) -> int:
    """Delete the participant's answers (they are not asked again); how many went."""
    erased = db.session.execute(
        delete(Answer).where(Answer.participant_id == participant.id)
    ).rowcount
    participant.questions_done_at = participant.questions_done_at or utcnow()
    db.session.commit()
    return erased or 0


def _may_answer(conversation: Conversation, participant: Participant | None) -> None:
    if not conversation.is_open:
        raise ConsultationClosed(_("This consultation is closed."))
    if participant is None or (
        participant.questions_done_at is None
        and _vote_count(participant) < conversation.questions_after_votes
    ):
        raise Conflict(
            _("The questions about you come after a few votes: vote first."), field="answers"
        )


def _checked_answers(
    conversation: Conversation, answers: Mapping[object, object]
) -> dict[int, int]:
    by_id = {question.id: question for question in questions_of(conversation)}
    checked: dict[int, int] = {}
    for raw_id, raw_choice in answers.items():
        question_id = _whole(raw_id)
        if question_id is None or question_id not in by_id:
            raise InvalidInput(_("This consultation has no such question."), field="answers")
        choice = json_integer(raw_choice)  # a form's text is made a number by its view
        question = by_id[question_id]
        if choice is None or not 0 <= choice < len(question.choices):
            message = _(
                "That is not one of the choices of “%(question)s”.",
                question=isolated(question.text),
            )
            raise InvalidInput(message, field="answers")
        checked[question_id] = choice
    return checked


def _store_answers(participant: Participant, checked: dict[int, int]) -> None:
    current = {
        answer.question_id: answer
        for answer in db.session.scalars(
            select(Answer).where(Answer.participant_id == participant.id)
        )
    }
    now = utcnow()
    for question_id, answer in current.items():
        if question_id not in checked:
            db.session.delete(answer)
    for question_id, choice in checked.items():
        answer = current.get(question_id)
        if answer is None:
            db.session.add(
                Answer(
                    participant_id=participant.id,
                    question_id=question_id,
                    choice=choice,
                    answered_at=now,
                )
            )
        elif answer.choice != choice:
            answer.choice, answer.answered_at = choice, now
    participant.questions_done_at = participant.questions_done_at or now
    db.session.commit()


def _vote_count(participant: Participant) -> int:
    count = select(func.count()).select_from(Vote).where(Vote.participant_id == participant.id)
    return db.session.scalar(count) or 0


def _whole(value: object) -> int | None:
    """An id as a JSON object's key ("3") or a number (3); None for anything else."""
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 15 else None
    return json_integer(value)


def _checked_choices(choices: object) -> list[str]:
    if not isinstance(choices, Sequence) or isinstance(choices, str | bytes):
        raise InvalidInput(_("choices must be a list of answers."), field="choices")
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise InvalidInput(
            _(
                "A question needs from %(low)s to %(high)s choices.",
                low=MIN_CHOICES,
                high=MAX_CHOICES,
            ),
            field="choices",
        )
    cleaned = [clean_text(choice, "choices", max_length=MAX_CHOICE_LENGTH) for choice in choices]
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInput(_("Each choice must be different."), field="choices")
    return cleaned
