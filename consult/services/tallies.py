"""Counts read from the rows the triggers keep (consult.tally_triggers): no vote is added up
on a request, so reads cost the same at a thousand votes and at millions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select

from consult.extensions import db
from consult.models import (
    ConversationCounter,
    Participant,
    Statement,
    StatementTally,
    Vote,
)


class Tally(NamedTuple):
    """The current votes on one statement (a named tuple: routing makes one per statement)."""

    agree: int = 0
    disagree: int = 0
    passes: int = 0

    @property
    def seen(self) -> int:
        return self.agree + self.disagree + self.passes


def statement_tallies(statement_ids: Sequence[int]) -> dict[int, Tally]:
    """The tally of each statement, by id."""
    if not statement_ids:
        return {}
    rows = db.session.execute(
        select(
            StatementTally.statement_id,
            StatementTally.n_agree,
            StatementTally.n_disagree,
            StatementTally.n_pass,
        ).where(StatementTally.statement_id.in_(statement_ids))
    )
    return {sid: Tally(a, d, p) for sid, a, d, p in rows}


def recount(conversation_id: str) -> None:
    """Count a consultation's tallies and participants again from its rows, and commit.

    For loads that skip triggers (COPY in replica mode); the triggers keep them exact after.
    """
    db.session.execute(
        delete(StatementTally).where(StatementTally.conversation_id == conversation_id)
    )
    per_statement = (
        select(
            Statement.id,
            Statement.conversation_id,
            func.count(Vote.id).filter(Vote.value == 1),
            func.count(Vote.id).filter(Vote.value == -1),
            func.count(Vote.id).filter(Vote.value == 0),
        )
        .outerjoin(Vote, Vote.statement_id == Statement.id)
        .where(Statement.conversation_id == conversation_id)
        .group_by(Statement.id, Statement.conversation_id)
    )
    db.session.execute(
        insert(StatementTally).from_select(
            ["statement_id", "conversation_id", "n_agree", "n_disagree", "n_pass"], per_statement
        )
    )
    db.session.execute(
        delete(ConversationCounter).where(ConversationCounter.conversation_id == conversation_id)
    )
    participants = (
        select(func.count())
        .select_from(Participant)
        .where(Participant.conversation_id == conversation_id)
        .scalar_subquery()
    )
    db.session.execute(
        insert(ConversationCounter).values(
            conversation_id=conversation_id, participants=participants
        )
    )
    db.session.commit()
