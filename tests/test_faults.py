"""Faults under load: a web worker killed and database connections cut while votes arrive.

Voters send each vote with an Idempotency-Key and retry it (same key) until it is
acknowledged, as a careful client does. Whatever fails in between, every vote ends up
acknowledged and stored exactly once: never lost, never logged twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from servers import conversation_over_http, voting_env, web_process
from sqlalchemy import select, text

from consult.extensions import db
from consult.models import VoteEvent

VOTERS = 8
ROUNDS = 3
STATEMENTS = [f"Fault statement {n}" for n in range(12)]


@pytest.fixture
def server(app, database_url, tmp_path) -> Iterator[tuple[str, int]]:
    process, base = web_process(
        voting_env(database_url), tmp_path / "gunicorn.log", workers=2, threads=4
    )
    yield base, process.popen.pid
    process.stop()


def _workers_of(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _cut_database_connections(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # SQLite has no connections to cut; the killed worker still runs
        with db.engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )


@pytest.mark.server
def test_killed_workers_and_cut_connections_lose_nothing_and_log_nothing_twice(
    app, facilitator, server
):
    base, master = server
    cid, ids = conversation_over_http(base, facilitator.headers, STATEMENTS)
    acknowledged: list[str] = []
    retries = Counter()
    lock = threading.Lock()

    def vote_until_acknowledged(headers: dict[str, str], statement_id: int, value: int) -> None:
        key = uuid.uuid4().hex
        body = {"statement_id": statement_id, "vote": value}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = requests.post(
                    f"{base}/api/v1/conversations/{cid}/votes",
                    json=body,
                    headers={**headers, "Idempotency-Key": key},
                    timeout=10,
                )
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(key)
                    return
            except requests.RequestException:
                pass
            with lock:
                retries[key] += 1
            time.sleep(0.1)
        pytest.fail(f"vote {key} was never acknowledged")

    def voter(n: int) -> None:
        joined = None
        while joined is None:
            try:
                joined = requests.post(
                    f"{base}/api/v1/conversations/{cid}/participants", timeout=10
                ).json()
            except (requests.RequestException, ValueError):
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {joined['token']}"}
        for round_ in range(ROUNDS):  # every statement again: changes of mind
            for k, statement_id in enumerate(ids):
                vote_until_acknowledged(headers, statement_id, [1, -1, 0][(n + k + round_) % 3])

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(VOTERS)]
    for thread in threads:
        thread.start()
    # Faults every 0.3 s while votes are flowing (a fixed schedule could fall after the
    # last vote): a worker killed (gunicorn's master starts another), connections cut.
    faults = 0
    while faults < 6 and any(thread.is_alive() for thread in threads):
        time.sleep(0.3)
        if faults % 2 == 0:
            for victim in _workers_of(master)[:1]:
                os.kill(victim, signal.SIGKILL)
        else:
            _cut_database_connections(app)
        faults += 1
    for thread in threads:
        thread.join()

    assert len(acknowledged) == VOTERS * len(ids) * ROUNDS
    with app.app_context():
        logged = db.session.scalars(
            select(VoteEvent.request_key).where(VoteEvent.conversation_id == cid)
        ).all()
    assert Counter(logged) == Counter(acknowledged)  # each exactly once
    assert sum(retries.values()) > 0, "no fault reached a vote: the test proved nothing"


def _drop_the_sessions_connection() -> None:
    """Cut the connection the request's session holds, as a database restart does."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    else:
        connection.connection.dbapi_connection.close()


@pytest.mark.parametrize("where", ["page", "api"])
def test_a_connection_lost_after_the_answer_keeps_the_answer_and_the_vote(
    app, client, conversation, where
):
    """The vote is committed, the answer made; then the session's connection dies before
    the request ends. The citizen gets the answer (not a 500), and the vote is stored."""
    cid = conversation["id"]
    statement = client.get(f"/api/v1/conversations/{cid}/statements").json["statements"][0]
    # The last of the app's after-request hooks (they run last registered first).
    app.after_request_funcs.setdefault(None, []).insert(
        0, lambda response: (_drop_the_sessions_connection(), response)[1]
    )
    if where == "api":
        token = client.post(f"/api/v1/conversations/{cid}/participants").json["token"]
        answer = client.post(
            f"/api/v1/conversations/{cid}/votes",
            json={"statement_id": statement["id"], "vote": -1},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201
    else:
        answer = client.post(f"/c/{cid}/vote", data={"statement_id": statement["id"], "vote": "-1"})
        assert answer.status_code == 302
    app.after_request_funcs[None].pop(0)
    with app.app_context():
        stored = db.session.scalars(select(VoteEvent.value)).all()
    assert stored == [-1]


@pytest.mark.server
@pytest.mark.browser
def test_a_stopped_worker_closes_its_websockets_and_exits_at_once(
    app, facilitator, server, browser
):
    """SIGTERM (a deploy, a restart) with browsers following live: the worker closes their
    websockets and exits, instead of waiting out gunicorn's graceful timeout (30 s) and
    then hanging on their threads until the master killed it."""
    base, master = server
    pages = []
    for _ in range(2):
        page = browser.new_page()
        page.goto(f"{base}/facilitate/login")
        page.add_script_tag(url=f"{base}/static/vendor/socket.io.min.js")
        page.evaluate(
            "window.live = io({transports: ['websocket']});"
            " new Promise((connected) => window.live.on('connect', connected))"
        )
        pages.append(page)
    worker = _workers_of(master)[0]
    stopped = time.monotonic()
    os.kill(worker, signal.SIGTERM)
    while Path(f"/proc/{worker}").exists() and time.monotonic() - stopped < 60:
        time.sleep(0.1)
    assert time.monotonic() - stopped < 10  # gunicorn's graceful timeout alone is 30 s
    for page in pages:
        page.close()
