"""The report's "Who took part": for each optional question and for the segments, how many
participants gave each answer and how the opinion groups are made up by answer (issue 13).

The participants are those of the cited analysis (the report's participant total), each
with the group that analysis gave them. Every count goes through `services.who_took_part`,
which suppresses small cells and their complements; only counts and shares leave this
module, never anything per participant. Answers are read as they are now (an erased answer
is gone from the report too), in one query for all questions and one for the segments.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from consult.extensions import db
from consult.models import Answer, Conversation, Participant, Question
from consult.services.questions import questions_of
from consult.services.segments import segments_of
from consult.services.suppression import TOTAL, SuppressedTable
from consult.services.who_took_part import (
    NO_ANSWER,
    CrossTable,
    Share,
    groups_across,
    participation_table,
    shown_share,
)


@dataclass
class WhoTookPartSection:
    """One question's (or the segments') participation and groups by category."""

    kind: str  # "question" or "segments": the template words the missing category by it
    title: str  # the question's text; empty for the segments (the template names them)
    categories: list[Hashable]  # the choices in order, then NO_ANSWER
    labels: dict[Hashable, str]  # each choice's label; NO_ANSWER is worded by the template
    participation: SuppressedTable
    groups: CrossTable

    def share(self, category: Hashable) -> Share | None:
        """This answer's share of all participants (the total is published)."""
        return shown_share(self.participation, category, TOTAL)


@dataclass
class WhoTookPart:
    min_cell: int
    sections: list[WhoTookPartSection]


def who_took_part(conversation: Conversation, data: Mapping[str, Any]) -> WhoTookPart:
    """The sections for the cited analysis's `data` (its participants and their groups)."""
    min_cell = int(current_app.config["CONSULT_MIN_CELL"])
    group_of = {int(p["id"]): p["group"] for p in data.get("participants", [])}
    ids = list(group_of)
    groups = [group_of[i] for i in ids]
    sections = [
        _section("question", question.text, question.choices, answers, ids, groups, min_cell)
        for question, answers in _answers_by_question(conversation).items()
    ]
    segments = segments_of(conversation)
    if segments:
        segment_of = _segment_by_participant(conversation)
        names = [segment.name for segment in segments]
        # Segments are keyed by position, as choices are, so one path serves both.
        position = {segment.id: n for n, segment in enumerate(segments)}
        by_position = {pid: position.get(sid) for pid, sid in segment_of.items()}
        sections.append(_section("segments", "", names, by_position, ids, groups, min_cell))
    return WhoTookPart(min_cell, sections)


def _section(
    kind: str,
    title: str,
    choice_labels: Sequence[str],
    category_of: Mapping[int, int | None],
    ids: Sequence[int],
    groups: Sequence[int | None],
    min_cell: int,
) -> WhoTookPartSection:
    choices = list(range(len(choice_labels)))
    categories = [_known(category_of.get(pid), len(choices)) for pid in ids]
    return WhoTookPartSection(
        kind=kind,
        title=title,
        categories=[*choices, NO_ANSWER],
        labels=dict(enumerate(choice_labels)),
        participation=participation_table(categories, choices, min_cell),
        # The report shows the participants and how many are grouped: the rest is public.
        groups=groups_across(groups, categories, choices, min_cell, ungrouped_published=True),
    )


def _known(category: int | None, count: int) -> int | None:
    """An index among the choices, or None (no answer, or one no longer among them)."""
    return category if category is not None and 0 <= category < count else None


def _answers_by_question(conversation: Conversation) -> dict[Question, dict[int, int]]:
    """Each question (in order) with its answers, participant id -> choice: one query."""
    questions = questions_of(conversation)
    answers: dict[int, dict[int, int]] = {question.id: {} for question in questions}
    rows = db.session.execute(
        select(Answer.question_id, Answer.participant_id, Answer.choice)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.conversation_id == conversation.id)
    )
    for question_id, participant_id, choice in rows:
        answers[question_id][participant_id] = choice
    return {question: answers[question.id] for question in questions}


def _segment_by_participant(conversation: Conversation) -> dict[int, int | None]:
    rows = db.session.execute(
        select(Participant.id, Participant.segment_id).where(
            Participant.conversation_id == conversation.id
        )
    )
    return {participant_id: segment_id for participant_id, segment_id in rows}
