"""The demo consultation that `consult serve --demo` sets up for a newcomer."""

from __future__ import annotations

import secrets

import numpy as np
from sqlalchemy import insert, select

from consult.extensions import db
from consult.models import (
    Answer,
    Conversation,
    Participant,
    Statement,
    User,
    Vote,
    VoteEvent,
    utcnow,
)
from consult.services.changes import votes_changed
from consult.services.consultations import create_conversation, find_conversation
from consult.services.questions import add_preset
from consult.services.users import create_user

DEMO_ID = "demo"
DEMO_EMAIL = "demo@consult.invalid"

SIMULATED_PARTICIPANTS = 200
# Three made-up opinion groups, as P(agree) per statement in DEMO_STATEMENTS order: people
# who want more public transport, people who want things left as they are, and a group
# that cares most about cost. Statements 2, 4, 11 divide; 9 and 12 are near consensus.
_GROUP_AGREEMENT = np.array(
    [
        [0.9, 0.8, 0.9, 0.9, 0.8, 0.6, 0.8, 0.7, 0.3, 0.5, 0.9, 0.9],
        [0.3, 0.2, 0.1, 0.2, 0.1, 0.3, 0.3, 0.2, 0.8, 0.7, 0.7, 0.7],
        [0.6, 0.9, 0.4, 0.5, 0.3, 0.8, 0.9, 0.4, 0.7, 0.5, 0.8, 0.8],
    ]
)
_GROUP_SHARES = (0.45, 0.35, 0.20)
_PASS_RATE = 0.1
# Where the simulated participants live (the "area" question: city, town or suburb, village
# or countryside, prefer not to say), by group, against census-like targets: the countryside
# takes part less than its share, as it often does online, so the report shows who is missing.
_AREA_BY_GROUP = np.array(
    [
        [0.75, 0.15, 0.05, 0.05],
        [0.35, 0.35, 0.25, 0.05],
        [0.50, 0.30, 0.15, 0.05],
    ]
)
_AREA_TARGETS = [0.50, 0.25, 0.25, None]
_ANSWER_RATE = 0.85

DEMO_STATEMENTS = [
    "Buses should run every ten minutes on the main routes, all day.",
    "Public transport should be free for everyone under 18.",
    "The city should close the old town centre to private cars.",
    "Cycle lanes should be physically separated from traffic.",
    "Parking in the centre is too cheap.",
    "Night buses matter more than faster daytime buses.",
    "Fares should be lower for people on low incomes.",
    "New housing should only be built near a train or tram stop.",
    "The city should spend more on repairing pavements than on new projects.",
    "Electric scooters for hire make streets less safe.",
    "I would use public transport more if it were more reliable.",
    "Car-free Sundays in the centre would be good for local shops.",
]


def ensure_demo() -> tuple[Conversation, str | None]:
    """Create the demo consultation if missing; return it and the new demo password, if any."""
    existing = find_conversation(DEMO_ID)
    if existing is not None:
        return existing, None
    password = None
    owner = db.session.query(User).filter_by(email=DEMO_EMAIL).one_or_none()
    if owner is None:
        password = secrets.token_urlsafe(12)
        owner = create_user(DEMO_EMAIL, password)
    conversation = create_conversation(
        owner,
        "Getting around our city",
        question="How should the city spend next year's transport budget?",
        description=(
            "This is a demonstration consultation. Vote on each statement: agree, disagree, "
            "or pass if you are unsure. Add a statement of your own if something is missing."
        ),
        seed_statements=DEMO_STATEMENTS,
        conversation_id=DEMO_ID,
    )
    add_simulated_votes(conversation)
    return conversation, password


def add_simulated_votes(conversation: Conversation, *, seed: int = 7) -> None:
    """Simulated participants (marked as such) voting in three groups, so groups show at once.

    Each votes on 8 to 12 of the statements, agree, disagree or pass drawn from their
    group's leaning. Seeded: every demo looks the same.
    """
    rng = np.random.default_rng(seed)
    statement_ids = list(
        db.session.scalars(
            select(Statement.id)
            .where(Statement.conversation_id == conversation.id)
            .order_by(Statement.id)
        )
    )
    people = [
        Participant(conversation_id=conversation.id, is_simulated=True)
        for _ in range(SIMULATED_PARTICIPANTS)
    ]
    db.session.add_all(people)
    db.session.flush()
    now = utcnow()
    votes = []
    groups = rng.choice(len(_GROUP_SHARES), size=len(people), p=_GROUP_SHARES)
    for person, group in zip(people, groups, strict=True):
        leaning = _GROUP_AGREEMENT[group]
        for j in rng.choice(len(statement_ids), size=rng.integers(8, 13), replace=False):
            value = 0 if rng.random() < _PASS_RATE else (1 if rng.random() < leaning[j] else -1)
            votes.append(
                {
                    "conversation_id": conversation.id,
                    "participant_id": person.id,
                    "statement_id": statement_ids[j],
                    "value": value,
                }
            )
    db.session.execute(insert(Vote), [{**v, "updated_at": now} for v in votes])
    db.session.execute(insert(VoteEvent), [{**v, "created_at": now} for v in votes])
    votes_changed(conversation.id)
    db.session.commit()
    _add_simulated_answers(conversation, people, groups, rng)


def _add_simulated_answers(
    conversation: Conversation,
    people: list[Participant],
    groups: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """The "area" question with census-like targets, answered by most simulated people."""
    question = add_preset(conversation, "area")
    question.targets = _AREA_TARGETS
    answers = [
        {
            "participant_id": person.id,
            "question_id": question.id,
            "choice": int(rng.choice(len(_AREA_TARGETS), p=_AREA_BY_GROUP[group])),
        }
        for person, group in zip(people, groups, strict=True)
        if rng.random() < _ANSWER_RATE
    ]
    db.session.execute(insert(Answer), answers)
    db.session.commit()
