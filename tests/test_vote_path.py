"""The API's vote path: one statement per valid vote, the same answers as the rules give."""

from __future__ import annotations

import pytest
from conftest import create_conversation, join
from helpers import xid_signature
from sqlalchemy import event

from consult.config import load_settings
from consult.extensions import db

API = "/api/v1/conversations"


def first_statement(client, cid: str, headers) -> int:
    return client.get(f"{API}/{cid}/next", headers=headers).json["id"]


def statements_run(app, send) -> tuple[object, list[str]]:
    """The answer of `send()` and the SQL statements it ran (the pool's ping left out)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = send()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return answer, seen


def test_a_valid_vote_is_one_statement_on_postgresql(app, client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    answer, seen = statements_run(
        app,
        lambda: client.post(
            f"{API}/{cid}/votes",
            json={"statement_id": statement_id, "vote": -1},
            headers={**headers, "Idempotency-Key": "one-trip"},
        ),
    )
    assert answer.status_code == 201
    assert answer.json["statement_id"] == statement_id
    with app.app_context():
        dialect = db.engine.dialect.name
    # SQLite cannot put an INSERT inside WITH: the log entry is its own statement there.
    assert len(seen) == (1 if dialect == "postgresql" else 2)


def test_a_replaced_token_stops_working_at_once(app, client, conversation):
    """A personal link joined again gets a new token; nothing caches the old one."""
    cid = conversation["id"]
    signed = {"xid": "citizen-9", "xid_signature": xid_signature(app, cid, "citizen-9")}
    old = join(client, cid, **signed)
    statement_id = first_statement(client, cid, old)
    body = {"statement_id": statement_id, "vote": 1}
    assert client.post(f"{API}/{cid}/votes", json=body, headers=old).status_code == 201
    new = join(client, cid, **signed)
    assert client.post(f"{API}/{cid}/votes", json=body, headers=old).status_code == 401
    assert client.post(f"{API}/{cid}/votes", json=body, headers=new).status_code == 201


@pytest.mark.parametrize("token", [None, "wrong", "other"])
def test_who_votes_is_checked_before_the_body(client, facilitator, conversation, token):
    cid = conversation["id"]
    if token == "other":
        other = create_conversation(client, facilitator, topic="Other")
        headers = join(client, other["id"])
    else:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.post(f"{API}/{cid}/votes", json={"vote": "junk"}, headers=headers)
    assert answer.status_code == (403 if token == "other" else 401)
    assert client.post(f"{API}/nosuch/votes", json=[], headers=headers).status_code == 404


def test_a_vote_on_a_rejected_statement_changes_nothing(app, client, facilitator, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [statement_id], "action": "reject"},
        headers=facilitator.headers,
    )
    answer = client.post(
        f"{API}/{cid}/votes", json={"statement_id": statement_id, "vote": 1}, headers=headers
    )
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "conflict"


def test_the_pool_is_sized_by_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSULT_DB_POOL_SIZE", "7")
    monkeypatch.setenv("CONSULT_DB_MAX_OVERFLOW", "3")
    settings = load_settings(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "postgresql://db/x"})
    options = settings["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"]) == (7, 3)
