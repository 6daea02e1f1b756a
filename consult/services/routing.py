"""Choosing the next statement for a participant (DESIGN.md §4 step 10)."""

from __future__ import annotations

import random

from sqlalchemy import case, func, select

from clustering.routing import routing_priority
from consult.extensions import db
from consult.models import Conversation, Participant, Statement, Vote
from consult.services.analyses import statement_stats
from consult.services.statements import visible_statement


def remaining_statements(
    conversation: Conversation, participant: Participant | None
) -> list[Statement]:
    """Statements this participant may still vote on: visible, and not voted on yet."""
    query = select(Statement).where(
        Statement.conversation_id == conversation.id, visible_statement(conversation)
    )
    if participant is not None:
        voted = select(Vote.statement_id).where(Vote.participant_id == participant.id)
        query = query.where(Statement.id.not_in(voted))
    return list(db.session.scalars(query.order_by(Statement.id)))


def next_statement(
    conversation: Conversation,
    participant: Participant | None,
    rng: random.Random | None = None,
) -> tuple[Statement | None, int]:
    """Draw the next statement, weighted by routing priority; return it and how many remain."""
    candidates = remaining_statements(conversation, participant)
    if not candidates:
        return None, 0
    weights = statement_priorities(conversation, candidates)
    if sum(weights) <= 0:
        weights = [1.0] * len(candidates)
    chosen = (rng or random.Random()).choices(candidates, weights=weights, k=1)[0]
    return chosen, len(candidates)


def statement_priorities(conversation: Conversation, statements: list[Statement]) -> list[float]:
    """The latest analysis's priority where it has one; the formula on live counts otherwise.

    Priorities are read from their own rows (StatementStat), never from the full analysis.
    Statements the analysis has not scored yet get the formula's value from the current
    tallies (with no extremity known), so new and seed statements are shown early and
    fairly rather than starved.
    """
    stored = statement_stats(conversation, [s.id for s in statements])
    missing = [s for s in statements if s.id not in stored]
    tallies = _tallies([s.id for s in missing])
    live = routing_priority(
        agrees=[tallies.get(s.id, (0, 0, 0))[0] for s in missing],
        passes=[tallies.get(s.id, (0, 0, 0))[1] for s in missing],
        seen=[tallies.get(s.id, (0, 0, 0))[2] for s in missing],
        extremity=[0.0] * len(missing),
        is_meta=[s.is_meta for s in missing],
    )
    fallback = dict(zip([s.id for s in missing], live.tolist(), strict=True))
    return [stored[s.id].priority if s.id in stored else fallback[s.id] for s in statements]


def _tallies(statement_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Agrees, passes and all votes per statement, from the current votes."""
    if not statement_ids:
        return {}
    rows = db.session.execute(
        select(
            Vote.statement_id,
            func.sum(case((Vote.value == 1, 1), else_=0)),
            func.sum(case((Vote.value == 0, 1), else_=0)),
            func.count(),
        )
        .where(Vote.statement_id.in_(statement_ids))
        .group_by(Vote.statement_id)
    )
    return {sid: (int(a), int(p), int(s)) for sid, a, p, s in rows}
