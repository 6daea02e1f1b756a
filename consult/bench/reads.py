"""Reads that should not grow with the conversation: p50 and p95 of the conversation GET, the
voting page and `/next`, on a small conversation and on a large one, PostgreSQL.

    python -m consult.bench.reads --sizes 100x30x30 20000x1000x50 --requests 200

A size is participants x statements x mean votes per participant. Each size gets a fresh
database, loaded in bulk (consult.bench.setup), then one participant joins through the API and
votes on a few statements, and each read is requested `--requests` times in turn, in process
(Flask's test client: the time is the app's and the database's, not a network's).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from flask.testing import FlaskClient

from consult.bench.setup import (
    VoteRecords,
    bench_app,
    bulk_load,
    create_consultation,
    create_facilitator,
    fresh_database,
    stop_cleanly_on_sigterm,
)
from consult.extensions import db
from consult.models import ModerationStatus

VOTES_BY_THE_READER = 5


def random_votes(n_participants: int, n_statements: int, mean_votes: float) -> VoteRecords:
    """Each participant votes on a random subset of statements (Poisson around the mean)."""
    rng = np.random.default_rng(0)
    per_participant = np.minimum(rng.poisson(mean_votes, n_participants), n_statements)
    participant = np.repeat(np.arange(n_participants), per_participant)
    statement = np.concatenate(
        [rng.choice(n_statements, size=k, replace=False) for k in per_participant.tolist()]
    )
    n = len(participant)
    return VoteRecords(
        participant=participant.astype(np.int64),
        statement=statement.astype(np.int64),
        value=rng.choice(np.array([-1, 0, 1]), size=n, p=[0.35, 0.2, 0.45]).astype(np.int64),
        time=time.time() - 86_400.0 + np.linspace(0.0, 3600.0, n),
    )


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ms = sorted(1000 * s for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def measure(client: FlaskClient, requests: dict[str, Callable[[], Any]], n: int) -> dict:
    """Each read `n` times, in turn (so a burst of load hits all of them alike)."""
    for call in requests.values():  # warm caches and connections
        call()
    timings: dict[str, list[float]] = {name: [] for name in requests}
    for _ in range(n):
        for name, call in requests.items():
            started = time.perf_counter()
            response = call()
            timings[name].append(time.perf_counter() - started)
            assert response.status_code in (200, 204), (name, response.status_code)
    return {name: percentiles(values) for name, values in timings.items()}


def one_size(n_participants: int, n_statements: int, mean_votes: float, n: int) -> dict:
    with fresh_database("consult_bench_reads") as url:
        app = bench_app(url)
        with app.app_context():
            facilitator = create_facilitator()
            cid = create_consultation(facilitator.user_id, "Reads benchmark")
            statements = [
                (f"Benchmark statement number {j}", ModerationStatus.ACCEPTED)
                for j in range(n_statements)
            ]
            records = random_votes(n_participants, n_statements, mean_votes)
            loaded = bulk_load(cid, statements, n_participants, records)
        client = app.test_client()
        joined = client.post(f"/api/v1/conversations/{cid}/participants", json={}).get_json()
        auth = {"Authorization": f"Bearer {joined['token']}"}
        for statement_id in loaded.statement_ids[:VOTES_BY_THE_READER].tolist():
            client.post(
                f"/api/v1/conversations/{cid}/votes",
                json={"statement_id": statement_id, "vote": 1},
                headers=auth,
            )
        with client.session_transaction() as session:
            session["participants"] = {cid: joined["participant_id"]}
        results = measure(
            client,
            {
                "GET conversation": lambda: client.get(f"/api/v1/conversations/{cid}"),
                "GET /c/{id}": lambda: client.get(f"/c/{cid}"),
                "GET next": lambda: client.get(f"/api/v1/conversations/{cid}/next", headers=auth),
            },
            n,
        )
        with app.app_context():
            db.engine.dispose()
    return {"votes": loaded.votes, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["100x30x30", "20000x1000x50"])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    stop_cleanly_on_sigterm()
    print("| size (participants x statements x votes each) | votes | read | p50 ms | p95 ms |")
    print("|---|---:|---|---:|---:|")
    for size in args.sizes:
        participants, statements, mean = size.split("x")
        row = one_size(int(participants), int(statements), float(mean), args.requests)
        for name, (p50, p95) in row["results"].items():
            print(f"| {size} | {row['votes']:,} | {name} | {p50:.1f} | {p95:.1f} |", flush=True)


if __name__ == "__main__":
    main()
