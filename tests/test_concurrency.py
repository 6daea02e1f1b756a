"""Many voters at once against a real multi-process server: no acknowledged vote is lost.

gunicorn runs the app in several processes with several threads each, on the test
database (SQLite file or PostgreSQL); threads here vote as fast as they can, some of them
racing on the very same participant and statement.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
from servers import conversation_over_http, voting_env, web_process
from sqlalchemy import select

from consult.extensions import db
from consult.models import Vote, VoteEvent

VOTERS = 16
RACERS = 4  # threads that share one participant and vote on the same statements
STATEMENTS = [
    f"Statement number {word}"
    for word in ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
]


@pytest.fixture
def server(app, database_url, tmp_path) -> Iterator[str]:
    process, base = web_process(
        voting_env(database_url), tmp_path / "gunicorn.log", workers=3, threads=4
    )
    yield base
    process.stop()


@pytest.mark.server
def test_every_acknowledged_vote_is_stored_exactly_once(app, client, facilitator, server):
    cid, statement_ids = conversation_over_http(server, facilitator.headers, STATEMENTS)

    def new_participant() -> tuple[int, dict[str, str]]:
        joined = requests.post(
            f"{server}/api/v1/conversations/{cid}/participants", timeout=30
        ).json()
        return joined["participant_id"], {"Authorization": f"Bearer {joined['token']}"}

    shared = new_participant()
    voters = [new_participant() for _ in range(VOTERS)] + [shared] * RACERS
    acks: list[tuple[int, int, int]] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(voters))

    def vote_all(participant_id: int, headers: dict[str, str], offset: int) -> None:
        session = requests.Session()
        start.wait()
        # Each voter votes on every statement twice (a change of mind), in its own order.
        for round_ in range(2):
            for k in range(len(statement_ids)):
                statement_id = statement_ids[(k + offset) % len(statement_ids)]
                value = [1, -1, 0][(offset + k + round_) % 3]
                response = session.post(
                    f"{server}/api/v1/conversations/{cid}/votes",
                    json={"statement_id": statement_id, "vote": value},
                    headers=headers,
                    timeout=60,
                )
                with lock:
                    if response.status_code == 201:
                        acks.append((participant_id, statement_id, value))
                    else:
                        failures.append(f"{response.status_code} {response.text[:200]}")
        session.close()

    threads = [
        threading.Thread(target=vote_all, args=(*voter, i)) for i, voter in enumerate(voters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(acks) == len(voters) * len(statement_ids) * 2
    with app.app_context():
        events = db.session.execute(
            select(VoteEvent.participant_id, VoteEvent.statement_id, VoteEvent.value).order_by(
                VoteEvent.id
            )
        ).all()
        current = {
            (v.participant_id, v.statement_id): v.value for v in db.session.scalars(select(Vote))
        }
    # Every acknowledged vote is in the log exactly once.
    assert Counter(events) == Counter(acks)
    # One current vote per participant and statement, and it is the last one logged.
    participants = VOTERS + 1
    assert len(current) == participants * len(statement_ids)
    last_logged = {(p, s): v for p, s, v in events}
    assert current == last_logged
    # A voter who did not race ends with the value it sent last on each statement.
    sent_last = {(p, s): v for p, s, v in acks if p != shared[0]}
    assert {key: current[key] for key in sent_last} == sent_last
    counts = requests.get(f"{server}/api/v1/conversations/{cid}", timeout=30).json()["counts"]
    assert counts == {
        "participants": participants,
        "votes": len(current),
        "statements": len(STATEMENTS),
    }
