"""Votes under load: Consult's vote endpoint against a bare Flask endpoint, side by side.

    python -m consult.bench.vote_load [--clients 64] [--seconds 8] [--rounds 3]

The production layout on a fresh PostgreSQL database: two gunicorn processes (one worker,
100 threads each, as the README runs them), Redis for the rate limits and the analysis
queue, one `consult worker`. Beside them, served the same way, a bare Flask app doing the
same work with nothing else (token lookup by hash, statement check, upsert, log insert,
commit). N clients on 127.0.0.1, each one request at a time through its own participant
token (10 % changes of mind), half on each process, vote for `--seconds`; the apps take
turns, `--rounds` times, for rate limits off and on (set high), with and without an
Idempotency-Key. Each turn has a consultation of its own; afterwards every acknowledged vote
must be in the log exactly once (per key, or in all without keys) and every current vote
must be the participant's last acknowledged one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from consult.bench.processes import Process, cpu_seconds, web_process, worker_process
from consult.bench.setup import (
    BENCH_SECRET,
    bench_app,
    create_facilitator,
    fresh_database,
    stop_cleanly_on_sigterm,
)
from consult.config import normalise_database_url
from consult.extensions import db
from consult.models import Participant, Statement, User, Vote, VoteEvent
from consult.services.consultations import create_conversation
from consult.tokens import new_token, token_digest

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own: queue and limit keys
HIGH_LIMITS = {
    "CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT": "100000 per minute",
    "CONSULT_RATELIMIT_VOTES_PER_IP": "10000000 per minute",
}
# Both apps' four processes stay up side by side: 4 x (15 + 5) connections stay under
# PostgreSQL's default max_connections of 100, with room for the worker and the checks.
POOL = {"CONSULT_DB_POOL_SIZE": "15", "CONSULT_DB_MAX_OVERFLOW": "5"}
CHANGE_OF_MIND = 0.10
N_STATEMENTS = 150


# --- The bare endpoint: the same work, nothing else ------------------------------------

_PARTICIPANT = text("SELECT id, conversation_id FROM participants WHERE token_hash = :hash")
_STATEMENT = text(
    "SELECT s.id FROM statements s JOIN conversations c ON c.id = s.conversation_id"
    " WHERE s.id = :sid AND s.conversation_id = :cid AND c.is_open AND s.status <> 'REJECTED'"
)
_UPSERT = text(
    "INSERT INTO votes (conversation_id, participant_id, statement_id, value, updated_at)"
    " VALUES (:cid, :pid, :sid, :value, now()) ON CONFLICT (participant_id, statement_id)"
    " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)
_LOG = text(
    "INSERT INTO vote_events"
    " (conversation_id, participant_id, statement_id, value, created_at, request_key)"
    " VALUES (:cid, :pid, :sid, :value, now(), :key)"
)


def bare_app() -> Flask:
    """The bare endpoint (gunicorn 'consult.bench.vote_load:bare_app()'), same pool size."""
    engine = create_engine(
        normalise_database_url(os.environ["CONSULT_DATABASE_URL"]),
        pool_size=int(os.environ.get("CONSULT_DB_POOL_SIZE", 25)),
        max_overflow=int(os.environ.get("CONSULT_DB_MAX_OVERFLOW", 15)),
    )
    app = Flask(__name__)

    @app.get("/ready")
    def ready() -> Any:
        return "ok"

    @app.post("/api/v1/conversations/<cid>/votes")
    def vote(cid: str) -> Any:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        body = request.get_json()
        key = request.headers.get("Idempotency-Key")
        with engine.connect() as connection:
            voter = connection.execute(_PARTICIPANT, {"hash": token_digest(token)}).first()
            if voter is None or voter.conversation_id != cid:
                return {"error": "token"}, 401
            sid, value = body["statement_id"], body["vote"]
            found = connection.execute(_STATEMENT, {"sid": sid, "cid": cid}).first()
            if found is None:
                return {"error": "statement"}, 404
            row = {"cid": cid, "pid": voter.id, "sid": sid, "value": value, "key": key}
            try:
                connection.execute(_UPSERT, row)
                connection.execute(_LOG, row)
                connection.commit()
            except IntegrityError:  # a retried key: undone, answered as stored
                connection.rollback()
        return jsonify(statement_id=sid, vote=value, participant_id=voter.id), 201

    return app


# --- The clients -------------------------------------------------------------------------


@dataclass
class Voter:
    token: str
    participant_id: int
    statements: list[int]
    acknowledged: dict[int, int] = field(default_factory=dict)  # statement -> last value


@dataclass
class Turn:
    """One app's turn: what its clients sent and got."""

    app: str
    conversation_id: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # acknowledged votes, seconds
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged_keys: list[str] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds of the app's processes during the turn

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def _vote_loop(
    base: str, turn: Turn, voter: Voter, keys: bool, deadline: float, lock: threading.Lock
) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    rng = random.Random(voter.token)
    unvoted = list(voter.statements)
    rng.shuffle(unvoted)
    latencies, statuses, acked_keys = [], Counter(), []
    while time.monotonic() < deadline:
        if voter.acknowledged and (rng.random() < CHANGE_OF_MIND or not unvoted):
            statement = rng.choice(list(voter.acknowledged))
            value = rng.choice([v for v in (-1, 0, 1) if v != voter.acknowledged[statement]])
        else:
            statement, value = unvoted.pop(), rng.choice((-1, 0, 1))
        headers = {"Authorization": f"Bearer {voter.token}", "Content-Type": "application/json"}
        key = secrets.token_hex(12) if keys else None
        if key:
            headers["Idempotency-Key"] = key
        body = json.dumps({"statement_id": statement, "vote": value})
        started = time.perf_counter()
        try:
            connection.request(
                "POST", f"/api/v1/conversations/{turn.conversation_id}/votes", body, headers
            )
            answer = connection.getresponse()
            answer.read()
            status = answer.status
        except (OSError, http.client.HTTPException):
            connection.close()
            status = 0  # no answer: stored or not, unknown
        elapsed = time.perf_counter() - started
        statuses[status] += 1
        if status == 201:
            latencies.append(elapsed)
            voter.acknowledged[statement] = value
            if key:
                acked_keys.append(key)
    connection.close()
    with lock:
        turn.latencies.extend(latencies)
        turn.statuses.update(statuses)
        turn.acknowledged_keys.extend(acked_keys)


def run_turn(
    turn: Turn,
    bases: list[str],
    servers: list[Process],
    voters: list[Voter],
    keys: bool,
    seconds: float,
) -> None:
    lock = threading.Lock()
    cpu_before = sum(cpu_seconds(s) for s in servers)
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_vote_loop, args=(bases[i % len(bases)], turn, v, keys, deadline, lock)
        )
        for i, v in enumerate(voters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    turn.seconds = time.monotonic() - started
    turn.cpu = sum(cpu_seconds(s) for s in servers) - cpu_before


# --- Set-up and checks --------------------------------------------------------------------


def new_consultation(owner_id: int, n_voters: int) -> tuple[str, list[Voter]]:
    """A consultation with its statements and voters (inside an app context)."""
    owner = db.session.get(User, owner_id)
    seeds = [f"Statement {i}: the city should try plan number {i}" for i in range(N_STATEMENTS)]
    conversation = create_conversation(owner, "Votes under load", seed_statements=seeds)
    statement_ids = list(
        db.session.scalars(select(Statement.id).filter_by(conversation_id=conversation.id))
    )
    tokens = [new_token() for _ in range(n_voters)]
    people = [
        Participant(conversation_id=conversation.id, token_hash=token_digest(t)) for t in tokens
    ]
    db.session.add_all(people)
    db.session.commit()
    voters = [Voter(t, p.id, statement_ids) for t, p in zip(tokens, people, strict=True)]
    return conversation.id, voters


def check_stored_once(turn: Turn, voters: list[Voter], keys: bool) -> str:
    """'ok', or what is wrong: every acknowledged vote logged once, current votes the last."""
    problems = []
    cid = turn.conversation_id
    if keys:
        rows = db.session.execute(
            select(VoteEvent.request_key, func.count())
            .filter_by(conversation_id=cid)
            .group_by(VoteEvent.request_key)
        )
        counts = dict(rows.all())
        wrong = [k for k in turn.acknowledged_keys if counts.get(k) != 1]
        if wrong:
            problems.append(f"{len(wrong)} acknowledged keys not logged exactly once")
    logged = db.session.scalar(
        select(func.count()).select_from(VoteEvent).filter_by(conversation_id=cid)
    )
    unknown = turn.statuses.get(0, 0)
    if not len(turn.latencies) <= logged <= len(turn.latencies) + unknown:
        problems.append(
            f"{logged} logged for {len(turn.latencies)} acknowledged ({unknown} unanswered)"
        )
    current = {
        (p, s): v
        for p, s, v in db.session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value).filter_by(
                conversation_id=cid
            )
        )
    }
    if not unknown:
        stale = sum(
            current.get((voter.participant_id, s)) != v
            for voter in voters
            for s, v in voter.acknowledged.items()
        )
        if stale:
            problems.append(f"{stale} current votes differ from the last acknowledged one")
    return "; ".join(problems) or "ok"


def _last_error(processes: list[Process]) -> str:
    lines = [line for p in processes for line in p.output().splitlines() if "Error" in line]
    return lines[-1] if lines else "(none logged)"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Bench:
    """What every turn needs: the options, the set-up app, the owner of consultations."""

    options: argparse.Namespace
    app: Flask
    owner_id: int
    env: dict[str, str]
    logs: Path


def start_servers(bench: Bench, limits: str) -> dict[str, list[tuple[Process, str]]]:
    """Two gunicorn processes of Consult and two of the bare app, as the README runs them."""
    consult_env = {**bench.env, "CONSULT_RATELIMIT_ENABLED": "1" if limits == "on" else "0"}
    threads = bench.options.threads
    return {
        "consult": [
            web_process(consult_env, bench.logs / f"consult-{limits}-{i}.log", REPOSITORY,
                        threads=threads)
            for i in range(2)
        ],
        "bare": [
            web_process(bench.env, bench.logs / f"bare-{limits}-{i}.log", REPOSITORY,
                        threads=threads, app="consult.bench.vote_load:bare_app()",
                        ready_path="/ready")
            for i in range(2)
        ],
    }  # fmt: skip


def take_turns(
    bench: Bench, servers: dict[str, list[tuple[Process, str]]], limits: str, keys: bool
) -> dict[str, list[Turn]]:
    """The apps in turn, `rounds` times after a short warm-up round; each turn checked."""
    turns: dict[str, list[Turn]] = {"consult": [], "bare": []}
    for round_ in range(bench.options.rounds + 1):
        for name, pairs in servers.items():
            with bench.app.app_context():
                cid, voters = new_consultation(bench.owner_id, bench.options.clients)
            turn = Turn(name, cid)
            seconds = 2.0 if round_ == 0 else bench.options.seconds
            run_turn(turn, [b for _, b in pairs], [p for p, _ in pairs], voters, keys, seconds)
            with bench.app.app_context():
                verdict = check_stored_once(turn, voters, keys)
            if round_:
                turns[name].append(turn)
            if turn.statuses.get(500):
                print("  last error:", _last_error([p for p, _ in pairs]), flush=True)
            print(
                f"limits {limits}, keys {'yes' if keys else 'no'}, {name}, round {round_}:"
                f" {turn.rate:.1f} votes/s {dict(turn.statuses)}; stored once: {verdict};"
                f" load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    return turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=100)
    options = parser.parse_args()
    stop_cleanly_on_sigterm()
    print(f"load average at start: {os.getloadavg()}", flush=True)
    results: list[tuple[str, str, str, list[Turn]]] = []
    with fresh_database("vote_load") as url, tempfile.TemporaryDirectory() as folder:
        app = bench_app(url)
        with app.app_context():
            owner_id = create_facilitator().user_id
        env = {
            "CONSULT_DATABASE_URL": url,
            "CONSULT_REDIS_URL": REDIS_URL,
            "CONSULT_SECRET_KEY": BENCH_SECRET,
            "CONSULT_BASE_URL": "http://127.0.0.1",
            **HIGH_LIMITS,
            **POOL,
        }
        bench = Bench(options, app, owner_id, env, Path(folder))
        worker = worker_process(env, bench.logs / "worker.log")
        try:
            for limits in ("off", "on"):
                servers = start_servers(bench, limits)
                try:
                    for keys in (False, True):
                        turns = take_turns(bench, servers, limits, keys)
                        for name in ("consult", "bare"):
                            results.append((limits, "yes" if keys else "no", name, turns[name]))
                finally:
                    for pairs in servers.values():
                        for process, _ in pairs:
                            process.stop()
        finally:
            worker.stop()
            with app.app_context():
                db.engine.dispose()
    print(f"\nload average at end: {os.getloadavg()}")
    print_table(results)


def print_table(results: list[tuple[str, str, str, list[Turn]]]) -> None:
    print(
        "| limits | keys | app | votes/s (median of rounds) | p50 ms | p95 ms | p99 ms |"
        " app CPU ms/vote | Consult/bare |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rates: dict[tuple[str, str, str], float] = {}
    for limits, keys, name, turns in results:
        rate = statistics.median(t.rate for t in turns)
        rates[(limits, keys, name)] = rate
        latencies = [x for t in turns for x in t.latencies]
        votes = sum(len(t.latencies) for t in turns)
        cpu = 1000 * sum(t.cpu for t in turns) / max(votes, 1)
        ratio = ""
        if name == "bare":
            ratio = f"{rates[(limits, keys, 'consult')] / rate:.2f}"
        p50, p95, p99 = (1000 * _percentile(latencies, q) for q in (0.5, 0.95, 0.99))
        print(
            f"| {limits} | {keys} | {name} | {rate:.0f} | {p50:.0f} | {p95:.0f} | {p99:.0f} |"
            f" {cpu:.1f} | {ratio} |"
        )


if __name__ == "__main__":
    main()
