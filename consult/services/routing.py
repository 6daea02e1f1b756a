"""Choosing the next statement for a participant (DESIGN.md §4 step 10).

One query reads what the draw needs of each remaining statement (its id, whether it is meta,
the latest analysis's priority, the live tally the triggers keep); only the statement drawn
is loaded whole. No vote is added up: a request costs the same at a thousand votes and at
millions.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from sqlalchemy import exists, select

from clustering.routing import routing_priority
from consult.extensions import db
from consult.models import Conversation, Participant, Statement, StatementStat, StatementTally, Vote
from consult.services.statements import visible_statement
from consult.services.tallies import Tally


class Candidate(NamedTuple):
    """What the draw needs of a statement the participant may still vote on.

    A named tuple: made a thousand times per request, where a dataclass costs several times more.
    """

    id: int
    is_meta: bool
    stored_priority: float | None  # the latest analysis's, None when it has not scored it
    tally: Tally


def remaining_statements(
    conversation: Conversation, participant: Participant | None
) -> list[Candidate]:
    """Statements this participant may still vote on: visible, and not voted on yet."""
    query = (
        select(
            Statement.id,
            Statement.is_meta,
            StatementStat.priority,
            StatementTally.n_agree,
            StatementTally.n_disagree,
            StatementTally.n_pass,
        )
        .outerjoin(StatementStat, StatementStat.statement_id == Statement.id)
        .outerjoin(StatementTally, StatementTally.statement_id == Statement.id)
        .where(Statement.conversation_id == conversation.id, visible_statement(conversation))
    )
    if participant is not None:
        # An anti-join on (participant_id, statement_id): the unique index answers it.
        voted = exists().where(
            Vote.participant_id == participant.id, Vote.statement_id == Statement.id
        )
        query = query.where(~voted)
    return [
        Candidate(sid, is_meta, priority, Tally(a or 0, d or 0, p or 0))
        for sid, is_meta, priority, a, d, p in db.session.execute(query.order_by(Statement.id))
    ]


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
    return db.session.get(Statement, chosen.id), len(candidates)


def statement_priorities(conversation: Conversation, candidates: list[Candidate]) -> list[float]:
    """The latest analysis's priority where it has one; the formula on live tallies otherwise.

    Statements the analysis has not scored yet get the formula's value from the current
    tallies (with no extremity known), so new and seed statements are shown early and
    fairly rather than starved.
    """
    missing = [c for c in candidates if c.stored_priority is None]
    live = routing_priority(
        agrees=[c.tally.agree for c in missing],
        passes=[c.tally.passes for c in missing],
        seen=[c.tally.seen for c in missing],
        extremity=[0.0] * len(missing),
        is_meta=[c.is_meta for c in missing],
    )
    fallback = dict(zip([c.id for c in missing], live.tolist(), strict=True))
    return [
        c.stored_priority if c.stored_priority is not None else fallback[c.id] for c in candidates
    ]
