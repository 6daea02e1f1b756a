"""Two facilitators saving at the same moment, on PostgreSQL (the production tier): the
settings and moderation guards check under row locks, so the second save is checked after
the first."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import (
    Facilitator,
    create_conversation,
    join,
    make_app,
    make_facilitator,
    new_postgres_database,
)
from flask import Flask
from flask.testing import FlaskClient
from helpers import distinct_text, log_in
from sqlalchemy import text

from consult.extensions import db

API = "/api/v1/conversations"


@pytest.fixture
def on_postgres() -> Iterator[tuple[Flask, FlaskClient, Facilitator]]:
    """An app on a PostgreSQL database of its own, whatever this run's database, with a
    facilitator logged in on its client."""
    with new_postgres_database() as url:
        app = make_app(url, csrf=False)
        with app.app_context():
            db.create_all()
        facilitator = make_facilitator(app)
        client = app.test_client()
        log_in(client, facilitator)
        yield app, client, facilitator
        with app.app_context():
            db.engine.dispose()


def while_held(app: Flask, table: str, row_id: Any, change: str, save: Callable[[], Any]) -> Any:
    """`save` run while another transaction holds the row (locked, as the other facilitator's
    save holds it between its check and its commit), which then makes `change` and commits;
    what `save` answered."""
    answers = []
    with app.app_context(), db.engine.connect() as other:
        other.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})
        saving = threading.Thread(target=lambda: answers.append(save()))
        saving.start()
        saving.join(timeout=1.5)
        assert saving.is_alive()  # waits for the row
        other.execute(text(change), {"id": row_id})
        other.commit()
    saving.join(timeout=30)
    return answers[0]


def test_a_save_made_while_another_holds_the_row_is_checked_after_it(on_postgres):
    app, client, facilitator = on_postgres
    cid = create_conversation(client, facilitator)["id"]
    page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
    form = {
        "topic": "Mine",
        "question": "",
        "description": "",
        "statement_max_length": "280",
        "edited_from": re.search(r'name="edited_from" value="(\w+)"', page).group(1),
    }
    answer = while_held(
        app,
        "conversations",
        cid,
        "UPDATE conversations SET topic = 'Theirs' WHERE id = :id",
        lambda: client.post(f"/facilitate/c/{cid}", data=form),
    )
    assert answer.status_code == 409
    assert client.get(f"{API}/{cid}").json["topic"] == "Theirs"


def test_a_moderation_made_while_another_holds_the_row_is_checked_after_it(on_postgres):
    app, client, facilitator = on_postgres
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    sid = client.post(
        f"{API}/{cid}/statements", json={"text": distinct_text(1)}, headers=author
    ).json["id"]
    form = {"row": f"accept-{sid}", f"shown_as-{sid}": "unmoderated"}
    answer = while_held(
        app,
        "statements",
        sid,
        "UPDATE statements SET status = 'REJECTED' WHERE id = :id",
        lambda: client.post(f"/facilitate/c/{cid}/moderate", data=form, follow_redirects=True),
    )
    assert "moderated by someone else" in answer.get_data(as_text=True)
    listed = client.get(
        f"{API}/{cid}/statements?status=all&per_page=100", headers=facilitator.headers
    ).json["statements"]
    assert {row["id"]: row["status"] for row in listed}[sid] == "rejected"
