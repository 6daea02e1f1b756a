"""The production tier for real: Redis, two gunicorn web processes and `consult worker`s.

Votes posted to one web process reach a Socket.IO client connected to the other through
the Redis message queue; a killed worker loses no update; votes arriving at both web
processes for ten seconds are coalesced into few analyses, never two of one consultation
at once, the last one including the last vote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio
from browsing import vote_as_new_participant
from conftest import require_service
from conftest import test_database as kind_of_database
from helpers import DISTINCT_STATEMENTS
from redis import Redis
from redis.exceptions import RedisError
from servers import web_process, worker_process
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Analysis, VoteEvent

pytestmark = pytest.mark.server

REDIS_URL = "redis://127.0.0.1:6379"
DEBOUNCE = 1.0
SEEDS = DISTINCT_STATEMENTS[:6]


# A Redis database for each kind of test run: .ci/run runs the SQLite and the PostgreSQL
# suites side by side, and each flushes its own database around every test here.
REDIS_DATABASES = {"sqlite": 1, "postgresql": 2}


def _redis_url() -> str:
    """A Redis database of its own for this run's tests (queues and locks live in it)."""
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisError:
        require_service(False, f"no Redis at {REDIS_URL}")
    return f"{REDIS_URL}/{REDIS_DATABASES[kind_of_database()]}"


@pytest.fixture
def tier(app, database_url, tmp_path) -> Iterator[dict[str, Any]]:
    redis_url = _redis_url()
    Redis.from_url(redis_url).flushdb()
    env = {
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_REDIS_URL": redis_url,
        "CONSULT_SECRET_KEY": "test",
        "CONSULT_ANALYSIS_DEBOUNCE": str(DEBOUNCE),
        # Limits on, as in production, but every test client is 127.0.0.1: the voters the
        # load test makes would pass the per-address limit on new participants.
        "CONSULT_RATELIMIT_PARTICIPANTS_PER_IP": "100000 per minute",
    }
    started: list[Any] = []
    try:
        a, base_a = web_process(env, tmp_path / "web-a.log")
        started.append(a)
        b, base_b = web_process(env, tmp_path / "web-b.log")
        started.append(b)
        tier = {"a": base_a, "b": base_b, "env": env, "tmp": tmp_path, "workers": []}

        def start_worker() -> Any:
            worker = worker_process(env, tmp_path / f"worker-{len(tier['workers'])}.log")
            tier["workers"].append(worker)
            started.append(worker)
            return worker

        tier["start_worker"] = start_worker
        yield tier
    finally:
        for process in started:
            process.stop()
        Redis.from_url(redis_url).flushdb()


def new_conversation(base: str, facilitator) -> tuple[str, list[int]]:
    body = {"topic": "Trams", "seed_statements": SEEDS}
    cid = requests.post(
        f"{base}/api/v1/conversations", json=body, headers=facilitator.headers, timeout=30
    ).json()["id"]
    ids = [
        s["id"]
        for s in requests.get(f"{base}/api/v1/conversations/{cid}/statements", timeout=30).json()[
            "statements"
        ]
    ]
    return cid, ids


class Listener:
    """A Socket.IO client in the facilitator room, keeping every `analysis` event."""

    def __init__(self, base: str, cid: str, token: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("analysis", self.events.append)
        self.client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        answer = self.client.call("join", {"conversation_id": cid}, timeout=20)
        assert answer == {"ok": True, "room": "facilitator"}

    def wait_for_votes(self, votes: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in reversed(self.events):
                if event["view"]["counts"]["votes"] >= votes:
                    return event
            time.sleep(0.1)
        last = [e["view"]["counts"] for e in self.events[-3:]]
        raise AssertionError(f"no analysis with {votes} votes; last: {last}")


def test_a_vote_on_one_web_process_updates_a_client_of_the_other(tier, facilitator):
    tier["start_worker"]()
    cid, ids = new_conversation(tier["a"], facilitator)
    listener = Listener(tier["b"], cid, facilitator.token)
    session = requests.Session()
    votes = sum(vote_as_new_participant(tier["a"], cid, ids, n % 2, session) for n in range(20))
    event = listener.wait_for_votes(votes)
    assert event["conversation_id"] == cid
    assert event["view"]["counts"]["participants"] == 20
    analysis = requests.get(f"{tier['b']}/api/v1/conversations/{cid}/analysis", timeout=30)
    assert analysis.status_code == 200
    assert analysis.json()["version"] == event["tick"]
    listener.client.disconnect()


def test_a_killed_worker_loses_no_update(app, tier, facilitator):
    first = tier["start_worker"]()
    cid, ids = new_conversation(tier["a"], facilitator)
    listener = Listener(tier["b"], cid, facilitator.token)
    session = requests.Session()
    votes = sum(vote_as_new_participant(tier["a"], cid, ids, n % 2, session) for n in range(16))
    listener.wait_for_votes(votes)
    # New votes, then the worker dies while their analysis is waiting or running.
    votes += sum(vote_as_new_participant(tier["b"], cid, ids, n % 2, session) for n in range(4))
    time.sleep(DEBOUNCE / 2)
    first.stop(kill=True)
    tier["start_worker"]()
    event = listener.wait_for_votes(votes, timeout=90)
    assert event["view"]["counts"]["participants"] == 20
    listener.client.disconnect()


def test_votes_on_two_web_processes_are_coalesced_and_converge(app, tier, facilitator):
    tier["start_worker"]()
    tier["start_worker"]()  # two workers: still never two analyses of one consultation at once
    cid, ids = new_conversation(tier["a"], facilitator)
    stop = time.monotonic() + 10
    failures: list[str] = []

    def keep_voting(base: str, camp: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            try:
                vote_as_new_participant(base, cid, ids, camp, session)
            except AssertionError as error:
                failures.append(str(error))

    threads = [
        threading.Thread(target=keep_voting, args=(base, n % 2))
        for n, base in enumerate([tier["a"], tier["b"]] * 2)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    assert failures == []
    with app.app_context():
        head = db.session.scalar(
            select(func.max(VoteEvent.id)).where(VoteEvent.conversation_id == cid)
        )
    deadline = time.monotonic() + 60
    while True:
        with app.app_context():
            analyses = db.session.scalars(
                select(Analysis).where(Analysis.conversation_id == cid).order_by(Analysis.version)
            ).all()
            db.session.remove()
        if analyses and analyses[-1].vote_watermark == head:
            break
        assert time.monotonic() < deadline, "the last vote never reached an analysis"
        time.sleep(0.2)
    assert len(analyses) <= seconds / DEBOUNCE + 2
    assert [a.version for a in analyses] == list(range(1, len(analyses) + 1))
    runs = sorted(
        (a.summary["computed"]["started"], a.summary["computed"]["finished"]) for a in analyses
    )
    for (_, finished), (next_started, _) in zip(runs, runs[1:], strict=False):
        assert finished <= next_started, "two analyses of one consultation overlapped"
    with app.app_context():
        votes = db.session.scalar(
            select(func.count()).select_from(VoteEvent).where(VoteEvent.conversation_id == cid)
        )
    assert analyses[-1].summary["counts"]["votes"] == votes  # no changes of mind here


def test_a_running_analysis_keeps_its_lock_past_the_timeout(monkeypatch):
    """The keep-alive thread extends the lock the job's thread holds (not thread-local)."""
    from consult import math_runner

    redis = Redis.from_url(_redis_url())
    monkeypatch.setattr(math_runner, "LOCK_SECONDS", 1)
    lock = redis.lock("consult:test:lock", timeout=1, thread_local=False)
    assert lock.acquire(blocking=False)
    with math_runner._kept_alive(lock):
        time.sleep(2.5)
        assert lock.owned()
    lock.release()
