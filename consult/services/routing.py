"""Choosing the next statement for a participant (DESIGN.md §4 step 10)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from sqlalchemy import case, func, select

from clustering.routing import routing_priority
from consult.extensions import db
from consult.models import Conversation, Participant, Statement, Vote
from consult.services.analyses import latest_analysis
from consult.services.statements import visible_statement


def remaining_statements(conversation: Conversation, participant: Participant | None) -> list[Statement]:
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

    Statements the analysis has not seen yet, or that had no votes when it ran, get the
    formula's value from the current tallies (with no extremity known), so new and seed
    statements are shown early and fairly rather than starved.
    """
    analysis = latest_analysis(conversation)
    stored = _finite_mapping(analysis.data.get("routing_priority") if analysis else None)
    extremity = _finite_mapping(analysis.data.get("statement_extremity") if analysis else None)
    missing = [s.id for s in statements if str(s.id) not in stored]
    tallies = _tallies(missing)
    live = routing_priority(
        agrees=[tallies.get(i, (0, 0, 0))[0] for i in missing],
        passes=[tallies.get(i, (0, 0, 0))[1] for i in missing],
        seen=[tallies.get(i, (0, 0, 0))[2] for i in missing],
        extremity=[extremity.get(str(i), 0.0) for i in missing],
        is_meta=[s.is_meta for s in statements if str(s.id) not in stored],
    )
    fallback = dict(zip(missing, live.tolist(), strict=True))
    return [stored.get(str(s.id), fallback.get(s.id, 0.0)) for s in statements]


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


def _finite_mapping(value: object) -> dict[str, float]:
    """Keep the usable entries of a {statement id: number} mapping from a stored analysis."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): float(number)
        for key, number in value.items()
        if isinstance(number, int | float) and math.isfinite(number) and number >= 0
    }
