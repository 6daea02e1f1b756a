"""Helpers shared by several test files."""

from __future__ import annotations

import hashlib
import random
import re
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consult.extensions import db
from consult.models import Analysis, Statement
from consult.security import sign_xid
from consult.services import participants, votes
from consult.services.analysis_runs import refresh
from consult.services.consultations import get_conversation
from consult.services.vote_memory import VoteMemory


def quoted(text: str) -> str:
    """A statement as a message quotes it in English: in quotation marks, set apart in its
    own direction (`consult.services.text.isolated`)."""
    return f"“\u2068{text}\u2069”"


def xid_signature(app: Flask, conversation_id: str, xid: str) -> str:
    """The signature Consult puts in `xid`'s personal link for this conversation."""
    return sign_xid(app.secret_key, conversation_id, xid)


def personal_link(app: Flask, conversation_id: str, xid: str) -> str:
    """The path of `xid`'s personal link, as a facilitator would hand it out."""
    query = urlencode({"xid": xid, "sig": xid_signature(app, conversation_id, xid)})
    return f"/c/{conversation_id}?{query}"


def log_in(client: FlaskClient, who) -> None:
    """Log `who` (a conftest.Facilitator) in through the login form of an app without CSRF."""
    data = {"email": who.email, "password": who.password}
    assert client.post("/facilitate/login", data=data).status_code == 302


def page_csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token a page hands its forms (for an app with CSRF on)."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def log_in_with_csrf(client: FlaskClient, who) -> None:
    """`log_in` on an app with CSRF on: the token from the login page goes with the form."""
    token = page_csrf_token(client, "/facilitate/login")
    data = {"email": who.email, "password": who.password, "csrf_token": token}
    assert client.post("/facilitate/login", data=data).status_code == 302


def shown_statement_id(page: bytes | str) -> int:
    """The id of the statement a voting page asks about (its form's hidden field)."""
    text = page.decode() if isinstance(page, bytes) else page
    match = re.search(r'name="statement_id" id="statement-id" value="(\d+)"', text)
    assert match, "no statement on the page"
    return int(match.group(1))


def moderate(client: FlaskClient, who, cid: str, statement_ids: list[int], action: str) -> None:
    """`who` (a conftest.Facilitator) moderates the statements through the API."""
    body = {"statement_ids": statement_ids, "action": action}
    answer = client.post(f"/api/v1/conversations/{cid}/moderation", json=body, headers=who.headers)
    assert answer.status_code == 200, answer.json


def distinct_text(n: int) -> str:
    """Texts far apart enough not to count as similar to each other."""
    return f"Idea {hashlib.sha256(str(n).encode()).hexdigest()[:24]}"


# Statements far enough apart that no two are similar (tests that need many statements).
DISTINCT_STATEMENTS = [
    "Buses should run every ten minutes.",
    "Cycle lanes should be separated from cars.",
    "Parking in the centre is too cheap.",
    "Night trains matter more than fast ones.",
    "The old town should be closed to private cars.",
    "Fares should be lower for people on low incomes.",
    "Electric scooters make streets less safe.",
    "Pavements need repairs before new projects start.",
]


# Everybody agrees with the last two; the two camps split on the others.
SHARED = DISTINCT_STATEMENTS[-2:]


def plant_votes(app: Flask, cid: str, voters: int, *, first: int = 0, seed: int = 0) -> None:
    """Two camps that split on most statements and agree on SHARED, 10 % noise.

    Cast through the votes service (the API's own path, without HTTP: many votes, fast).
    """
    rng = random.Random(seed)
    with app.app_context():
        conversation = get_conversation(cid)
        listed = db.session.scalars(
            select(Statement).filter_by(conversation_id=cid).order_by(Statement.id)
        ).all()
        for n in range(first, first + voters):
            participant, _, _ = participants.join(conversation)
            for k, statement in enumerate(listed):
                if statement.text in SHARED:
                    leaning = 1
                else:
                    leaning = 1 if (k % 2 == 0) == (n % 2 == 0) else -1
                value = leaning if rng.random() < 0.9 else -leaning
                votes.cast_vote(conversation, participant, statement.id, value)


def analyse(app: Flask, cid: str, memory: VoteMemory | None = None, **options) -> Analysis:
    """One run of the real analysis runner (`refresh`) on the conversation; what it stored."""
    with app.app_context():
        stored = refresh(cid, memory or VoteMemory(), **options)
        assert stored is not None
        db.session.expunge(stored)
        return stored
