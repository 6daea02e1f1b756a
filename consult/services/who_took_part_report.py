"""The report's "Who took part": for each optional question and for the segments, how many
participants gave each answer, how the opinion groups are made up by answer, how the
statements most agree on fare by answer, and, where the facilitator entered target shares,
how participation compares with them, with those statements reweighted to the targets.

The participants are those of the cited analysis (the report's participant total), each
with the group that analysis gave them; the votes are those up to its cut-off. Every count
goes through `services.who_took_part`, which suppresses small cells and their complements;
only counts and shares leave this module, never anything per participant. Answers are read
as they are now (an erased answer is gone from the report too), in one query for all
questions and one for the segments.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from consult.extensions import db
from consult.models import Answer, Conversation, Participant, Question
from consult.services.questions import questions_of
from consult.services.segments import segments_of
from consult.services.suppression import TOTAL, SuppressedTable
from consult.services.targets import targets_of
from consult.services.vote_history import votes_as_of
from consult.services.who_took_part import (
    NO_ANSWER,
    CrossTable,
    Representativeness,
    Reweighted,
    Share,
    StatementAcross,
    compare_statements,
    groups_across,
    participation_table,
    post_stratify,
    representativeness,
    shown_share,
    statement_across,
)

Votes = Mapping[int, Mapping[int, int]]  # statement id -> participant id -> vote


@dataclass
class StatementByCategory:
    """One statement most participants agree (or disagree) on, across the categories."""

    statement_id: int
    across: StatementAcross  # the agree share per category, and whether they differ
    # Reweighted to the targets; None without targets, or where a number it comes from is
    # not shown (a reweighted share must not give a hidden count back).
    reweighted: Reweighted | None = None

    @property
    def overall(self) -> Share | None:
        """The agree share among everyone who voted on it (its vote totals are published)."""
        return shown_share(self.across.votes.table, ("row", "agree"), TOTAL)


@dataclass
class WhoTookPartSection:
    """One question's (or the segments') participation and groups by category."""

    kind: str  # "question" or "segments": the template words the missing category by it
    title: str  # the question's text; empty for the segments (the template names them)
    categories: list[Hashable]  # the choices in order, then NO_ANSWER
    labels: dict[Hashable, str]  # each choice's label; NO_ANSWER is worded by the template
    participation: SuppressedTable
    groups: CrossTable
    statements: list[StatementByCategory] = field(default_factory=list)
    representativeness: Representativeness | None = None  # where targets were entered

    def share(self, category: Hashable) -> Share | None:
        """This answer's share of all participants (the total is published)."""
        return shown_share(self.participation, category, TOTAL)


@dataclass
class WhoTookPart:
    min_cell: int
    sections: list[WhoTookPartSection]


def who_took_part(
    conversation: Conversation,
    data: Mapping[str, Any],
    statement_ids: Sequence[int] = (),
    until: datetime | None = None,
) -> WhoTookPart:
    """The sections for the cited analysis's `data` (its participants and their groups),
    with the statements `statement_ids` by category, from the votes up to `until`."""
    min_cell = int(current_app.config["CONSULT_MIN_CELL"])
    group_of = {int(p["id"]): p["group"] for p in data.get("participants", [])}
    ids = list(group_of)
    answers_by_question = _answers_by_question(conversation)
    segments = segments_of(conversation)
    # Without questions or segments no section reads the votes: leave them unread.
    wanted = statement_ids if answers_by_question or segments else ()
    people = _People(ids, [group_of[i] for i in ids], _votes_on(conversation, wanted, until))
    sections = []
    for question, answers in answers_by_question.items():
        targets = targets_of(question)
        labels = question.choices
        sections.append(
            _section("question", question.text, labels, answers, people, min_cell, targets)
        )
    if segments:
        segment_of = _segment_by_participant(conversation)
        names = [segment.name for segment in segments]
        # Segments are keyed by position, as choices are, so one path serves both.
        position = {segment.id: n for n, segment in enumerate(segments)}
        by_position = {pid: position.get(sid) for pid, sid in segment_of.items()}
        sections.append(_section("segments", "", names, by_position, people, min_cell))
    # Benjamini–Hochberg over every "differs by answer" the section claims at once.
    compare_statements([row.across for section in sections for row in section.statements])
    return WhoTookPart(min_cell, sections)


@dataclass
class _People:
    ids: Sequence[int]  # the cited analysis's participants
    groups: Sequence[int | None]  # each one's group there
    votes: Votes


def _section(
    kind: str,
    title: str,
    choice_labels: Sequence[str],
    category_of: Mapping[int, int | None],
    people: _People,
    min_cell: int,
    targets: Mapping[int, float] | None = None,
) -> WhoTookPartSection:
    choices = list(range(len(choice_labels)))
    categories = [_known(category_of.get(pid), len(choices)) for pid in people.ids]
    # One participation table behind every count of the section: two tables suppressed
    # apart could each hide what the other shows.
    compared = [c for c in choices if c in targets] if targets else None
    section = WhoTookPartSection(
        kind=kind,
        title=title,
        categories=[*choices, NO_ANSWER],
        labels=dict(enumerate(choice_labels)),
        participation=participation_table(categories, choices, min_cell, compared),
        # The report shows the participants and how many are grouped: the rest is public.
        groups=groups_across(
            people.groups,
            categories,
            choices,
            min_cell,
            ungrouped_published=True,
            compared=compared,
        ),
    )
    category_of_voter = dict(zip(people.ids, categories, strict=True))
    shown = {c: section.participation.shown(c) for c in section.categories}
    sizes = {c: n for c, n in shown.items() if n is not None}
    for statement_id, votes in people.votes.items():
        voters = [pid for pid in votes if pid in category_of_voter]
        across = statement_across(
            [votes[pid] for pid in voters],
            [category_of_voter[pid] for pid in voters],
            choices,
            min_cell,
            hidden_categories=[c for c in section.categories if c not in sizes],
            shown_sizes=sizes,
        )
        reweighted = _reweighted(across, targets) if targets else None
        section.statements.append(StatementByCategory(statement_id, across, reweighted))
    if targets:
        section.representativeness = representativeness(categories, choices, targets, min_cell)
    return section


def _reweighted(across: StatementAcross, targets: Mapping[int, float]) -> Reweighted | None:
    """The agree share reweighted to the targets, where every share it is made of is shown."""
    weighted = [c for c, target in targets.items() if target > 0]
    if any(across.agree_share(c) is None for c in weighted):
        return None
    counts = across.votes.table.counts
    columns = across.votes.columns
    return post_stratify(
        successes={c: counts["agree", c] for c in columns},
        trials={c: counts["column", c] for c in columns},
        targets=targets,
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


def _votes_on(
    conversation: Conversation, statement_ids: Sequence[int], until: datetime | None
) -> dict[int, dict[int, int]]:
    """The votes on these statements as of `until`, by statement then participant: one query."""
    votes: dict[int, dict[int, int]] = {sid: {} for sid in statement_ids}
    if not votes:
        return votes
    current = votes_as_of(conversation.id, until, statement_ids=list(votes))
    rows = db.session.execute(
        select(current.c.statement_id, current.c.participant_id, current.c.value)
    )
    for statement_id, participant_id, value in rows:
        votes[statement_id][participant_id] = value
    return votes
