"""The demo consultation that `consult serve --demo` sets up for a newcomer."""

from __future__ import annotations

import secrets

from consult.extensions import db
from consult.models import Conversation, User
from consult.services.consultations import create_conversation, find_conversation
from consult.services.users import create_user

DEMO_ID = "demo"
DEMO_EMAIL = "demo@consult.invalid"

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
    return conversation, password
