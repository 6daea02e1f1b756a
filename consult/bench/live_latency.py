"""From an acknowledged vote to the live analysis that includes it, on the production tier.

Run by hand (not a test): `python -m consult.bench.live_latency --rates 10 50 --seconds 30`.

Set-up: a fresh PostgreSQL database with the vTaiwan UberX conversation (Polis export in
tests/data/polis/vtaiwan.uberx, CC BY 4.0: its statements, moderated-out ones as rejected,
and all its votes, loaded with COPY by consult.bench.setup); a Redis database of our own;
the production tier as subprocesses: two `gunicorn --workers 1 --threads 100 wsgi:app`
web processes (A and B) and one `python -m consult worker`, with a 1 s debounce. Once the
worker has stored the first analysis, a Socket.IO client (websocket transport, the
facilitator's API token) joins the consultation's facilitator room on B and records the
arrival time and `view.counts.votes` of every `analysis` event.

Per rate: open-loop load. Vote k is due at t0 + k / rate and is sent by one of --threads
threads to A or B alternately, as a new participant-statement pair (participants made
beforehand through the API), so every acknowledged (201) vote adds exactly one to the
current votes that an analysis counts.

Which event includes a vote: events carry counts, not vote ids. The rule used is
conservative (it never reports an event that misses the vote): vote v counts as included
in the first event whose counts.votes >= baseline + the number of votes *sent* (and
eventually acknowledged) before v's acknowledgement. Proof sketch: an analysis that read
the votes before v committed saw only votes committed before v's commit, all of them sent
before v's acknowledgement, v not among them: fewer than that threshold. (Counting votes
*acknowledged* before v's acknowledgement, as a simpler rule would, can be fooled by a vote
committed early whose answer is still on its way.) Both rules are computed; the table shows
the conservative one. Latency = event arrival - acknowledgement, on this client's clock.

Reports per rate: votes acknowledged, achieved rate, latency p50 / p95 / max, analyses per
second while the load lasted (and how many were warm or cold), the median run time of an
analysis (from its stored summary), and vote acknowledgement p50 / p95. Everything is
stopped and removed afterwards (processes, database, Redis database), also on errors; the
process logs are kept in --log-dir and scanned for errors.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import requests
from redis import Redis
from sqlalchemy import func, select

import consult
from clustering.polis_export import read_export
from consult.bench.live_listener import Listener
from consult.bench.processes import HOST, Process, wait_until, web_process, worker_process
from consult.bench.setup import (
    BENCH_SECRET,
    VoteRecords,
    bench_app,
    bulk_load,
    create_consultation,
    create_facilitator,
    fresh_database,
    stop_cleanly_on_sigterm,
)
from consult.extensions import db
from consult.models import Analysis, ModerationStatus, Vote

REPOSITORY = Path(consult.__file__).parents[1]
EXPORT = REPOSITORY / "tests" / "data" / "polis" / "vtaiwan.uberx"
TIMEOUT = 30.0  # seconds, for any one HTTP request


# --- the production tier ---------------------------------------------------------------


def start_web(name: str, env: Mapping[str, str], log_dir: Path, stack: ExitStack) -> str:
    """A gunicorn web process as in production; returns its base URL once it answers."""
    process, base = web_process(env, log_dir / f"{name}.log", REPOSITORY)
    stack.callback(process.stop)
    return base


def start_worker(env: Mapping[str, str], log_dir: Path, stack: ExitStack) -> Process:
    process = worker_process(env, log_dir / "worker.log")
    stack.callback(process.stop)
    return process


@contextmanager
def redis_database(number: int) -> Iterator[str]:
    """Our own Redis database, empty before and after (refused if someone else's keys are in it)."""
    url = f"redis://{HOST}:6379/{number}"
    redis = Redis.from_url(url)
    if redis.dbsize():
        raise RuntimeError(f"Redis database {number} is not empty; choose another with --redis-db")
    try:
        yield url
    finally:
        redis.flushdb()


# --- the consultation ------------------------------------------------------------------


def load_vtaiwan() -> tuple[str, str, list[int]]:
    """The facilitator's token, the consultation id and its accepted statements' ids."""
    export = read_export(EXPORT)
    position = {int(c): k for k, c in enumerate(export.comment_ids.tolist())}
    rejected = set(export.moderated_out.tolist())
    statements = [
        (
            export.comment_text.get(int(c)) or f"Comment {c}",
            ModerationStatus.REJECTED if int(c) in rejected else ModerationStatus.ACCEPTED,
        )
        for c in export.comment_ids.tolist()
    ]
    voters, participant = np.unique(export.voter, return_inverse=True)
    records = VoteRecords(
        participant=participant.astype(np.int64),
        statement=np.array([position[int(c)] for c in export.comment.tolist()], dtype=np.int64),
        value=export.vote.astype(np.int64),  # the export's +1 agree, -1 disagree, 0 pass
        time=export.timestamp / 1000.0,
    )
    facilitator = create_facilitator()
    cid = create_consultation(facilitator.user_id, "UberX (vTaiwan)")
    loaded = bulk_load(cid, statements, len(voters), records)
    accepted = [
        int(s)
        for s, (_, status) in zip(loaded.statement_ids, statements, strict=True)
        if status == ModerationStatus.ACCEPTED
    ]
    return facilitator.token, cid, accepted


# --- one rate --------------------------------------------------------------------------


@dataclass
class Sent:
    index: int
    due: float
    sent: float
    acked: float
    status: int  # the HTTP status, 0 when the request itself failed
    error: str = ""


def current_votes(app: Any, cid: str) -> tuple[int, int | None]:
    """(current votes in the database, counts.votes of the latest stored analysis)."""
    with app.app_context():
        try:
            votes = db.session.scalar(
                select(func.count()).select_from(Vote).where(Vote.conversation_id == cid)
            )
            latest = db.session.scalar(
                select(Analysis)
                .where(Analysis.conversation_id == cid)
                .order_by(Analysis.version.desc())
                .limit(1)
            )
            counted = None if latest is None else int(latest.summary["counts"]["votes"])
            return int(votes or 0), counted
        finally:
            db.session.remove()


def _settled(app: Any, cid: str) -> bool:
    votes, counted = current_votes(app, cid)
    return counted == votes


def run_rate(
    rate: float,
    seconds: float,
    *,
    app: Any,
    cid: str,
    bases: list[str],
    statements: list[int],
    listener: Listener,
    threads: int,
    per_participant: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Open-loop votes at `rate` for `seconds`; latencies from the listener's events."""
    n_votes = int(round(rate * seconds))
    per = min(per_participant, len(statements))
    n_participants = math.ceil(n_votes / per)
    with requests.Session() as session:
        tokens = []
        for k in range(n_participants):
            answer = session.post(
                f"{bases[k % 2]}/api/v1/conversations/{cid}/participants", timeout=TIMEOUT
            )
            answer.raise_for_status()
            tokens.append(answer.json()["token"])
    # Vote k: participant k // per on the (k % per)-th of its own random choice of statements.
    choices = [rng.permutation(statements)[:per] for _ in range(n_participants)]
    values = rng.choice([-1, 0, 1], size=n_votes)
    plan = [
        (bases[k % 2], tokens[k // per], int(choices[k // per][k % per]), int(values[k]))
        for k in range(n_votes)
    ]

    # A quiet start: the latest analysis includes every current vote.
    wait_until(lambda: _settled(app, cid), "the tier did not settle before the run", 120)
    baseline, _ = current_votes(app, cid)

    results: list[Sent] = []
    lock = threading.Lock()
    next_index = iter(range(n_votes))
    t0 = time.monotonic() + 0.5

    def send() -> None:
        sessions = {base: requests.Session() for base in bases}
        try:
            while True:
                with lock:
                    k = next(next_index, None)
                if k is None:
                    return
                due = t0 + k / rate
                time.sleep(max(0.0, due - time.monotonic()))
                base, token, statement_id, value = plan[k]
                sent = time.monotonic()
                try:
                    answer = sessions[base].post(
                        f"{base}/api/v1/conversations/{cid}/votes",
                        json={"statement_id": statement_id, "vote": value},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT,
                    )
                    status, error = answer.status_code, ""
                    if status != 201:
                        error = answer.text[:200]
                except requests.RequestException as failure:
                    status, error = 0, f"{type(failure).__name__}: {failure}"[:300]
                acked = time.monotonic()
                with lock:
                    results.append(Sent(k, due, sent, acked, status, error))
        finally:
            for s in sessions.values():
                s.close()

    workers = [threading.Thread(target=send, name=f"voter-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 10 * TIMEOUT)
    ok = sorted((r for r in results if r.status == 201), key=lambda r: r.acked)
    finished = listener.wait_for(baseline + len(ok), 120)
    events = [e for e in listener.snapshot() if e[0] >= t0 - 1.0]
    return _summarise(rate, seconds, baseline, results, ok, events, finished, app, cid, t0)


def _summarise(
    rate: float,
    seconds: float,
    baseline: int,
    results: list[Sent],
    ok: list[Sent],
    events: list[tuple[float, int, str, int]],
    finished: bool,
    app: Any,
    cid: str,
    t0: float,
) -> dict[str, Any]:
    times = [e[0] for e in events]
    running_max = np.maximum.accumulate([e[1] for e in events]).tolist() if events else []
    sent_sorted = sorted(r.sent for r in ok)
    acked_sorted = [r.acked for r in ok]

    def latency(threshold: int, acked: float) -> float | None:
        at = bisect.bisect_left(running_max, threshold)
        return None if at == len(events) else times[at] - acked

    conservative, by_acks, missing = [], [], 0
    for r in ok:
        first = latency(baseline + bisect.bisect_right(sent_sorted, r.acked), r.acked)
        simple = latency(baseline + bisect.bisect_right(acked_sorted, r.acked), r.acked)
        if first is None:
            missing += 1
        else:
            conservative.append(first)
        if simple is not None:
            by_acks.append(simple)
    last_sent = max((r.sent for r in results), default=t0)
    # Analyses from the first vote until the one that included the last vote.
    at = bisect.bisect_left(running_max, baseline + len(ok))
    until = times[at] if at < len(events) else (times[-1] if times else t0)
    during = [e for e in events if t0 <= e[0] <= until]
    acks = [r.acked - r.sent for r in ok]
    lateness = [r.sent - r.due for r in results]
    return {
        "rate": rate,
        "seconds": seconds,
        "baseline_votes": baseline,
        "sent": len(results),
        "acknowledged": len(ok),
        "failed": {
            str(s): sum(1 for r in results if r.status == s)
            for s in {r.status for r in results} - {201}
        },
        "errors": sorted({r.error for r in results if r.error})[:5],
        "achieved_rate": len(ok) / max(last_sent - t0, 1e-9),
        "all_seen": finished and missing == 0,
        "missing": missing,
        "latency": _quantiles(conservative),
        "latency_by_acks": _quantiles(by_acks),
        "analyses": len(during),
        "analyses_per_s": len(during) / max(until - t0, 1e-9),
        "kinds": {k: sum(1 for e in during if e[2] == k) for k in ("warm", "cold")},
        "analysis_run_s": _run_seconds(app, cid, [e[3] for e in during]),
        "ack": _quantiles(acks),
        "send_lateness_p95": _quantiles(lateness)["p95"],
    }


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p95": math.nan, "max": math.nan}
    array = np.asarray(values)
    return {
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
    }


def _run_seconds(app: Any, cid: str, ticks: list[int]) -> float:
    """Median time one analysis took in the worker (its stored start and finish)."""
    if not ticks:
        return math.nan
    with app.app_context():
        try:
            rows = db.session.scalars(
                select(Analysis.summary).where(
                    Analysis.conversation_id == cid, Analysis.version.in_(ticks)
                )
            ).all()
        finally:
            db.session.remove()
    return statistics.median(s["computed"]["finished"] - s["computed"]["started"] for s in rows)


# --- report ----------------------------------------------------------------------------


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| rate /s | votes acked | achieved /s | latency p50 s | p95 s | max s "
        "| analyses /s (warm, cold) | analysis run s | ack p50 ms | ack p95 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lat, ack, kinds = r["latency"], r["ack"], r["kinds"]
        cells = [
            f"{r['rate']:g}",
            str(r["acknowledged"]),
            f"{r['achieved_rate']:.1f}",
            *(f"{lat[q]:.2f}" for q in ("p50", "p95", "max")),
            f"{r['analyses_per_s']:.2f} ({kinds['warm']}, {kinds['cold']})",
            f"{r['analysis_run_s']:.2f}",
            *(f"{ack[q] * 1000:.0f}" for q in ("p50", "p95")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scan_logs(log_dir: Path) -> list[str]:
    """Lines in the processes' logs that look like trouble (tracebacks, errors, warnings)."""
    found = []
    for log in sorted(log_dir.glob("*.log")):
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), 1):
            if any(
                word in line
                for word in ("Traceback", "ERROR", "Error", "WARNING", "Exception", "CRITICAL")
            ):
                found.append(f"{log.name}:{number}: {line[:300]}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[10.0, 50.0], help="votes per second"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each rate lasts")
    parser.add_argument("--threads", type=int, default=32, help="threads sending votes")
    parser.add_argument(
        "--per-participant", type=int, default=30, help="votes by each new participant"
    )
    parser.add_argument("--debounce", type=float, default=1.0)
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument(
        "--log-dir", type=Path, help="where the processes' logs go (default: a new temp folder)"
    )
    args = parser.parse_args()
    stop_cleanly_on_sigterm()
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="consult-live-latency-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    try:
        with ExitStack() as stack:
            _measure(args, log_dir, stack, rows)
    finally:
        print()
        print(table(rows))
        trouble = scan_logs(log_dir)
        print(f"\n{len(trouble)} suspicious log lines in {log_dir}" + (":" if trouble else "."))
        for line in trouble[:40]:
            print("  " + line)


def _measure(
    args: argparse.Namespace, log_dir: Path, stack: ExitStack, rows: list[dict[str, Any]]
) -> None:
    """Set everything up (each piece undone by `stack`), then run each rate into `rows`."""
    database_url = stack.enter_context(fresh_database("bench_live"))
    redis_url = stack.enter_context(redis_database(args.redis_db))
    app = bench_app(database_url)
    stack.callback(_dispose, app)
    started = time.monotonic()
    with app.app_context():
        token, cid, statements = load_vtaiwan()
        db.session.remove()
    print(
        f"loaded vTaiwan UberX in {time.monotonic() - started:.1f} s: consultation {cid}, "
        f"{len(statements)} accepted statements; logs in {log_dir}",
        flush=True,
    )
    env = {
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_REDIS_URL": redis_url,
        "CONSULT_SECRET_KEY": BENCH_SECRET,
        "CONSULT_BASE_URL": f"http://{HOST}",  # no links are followed; set to keep logs quiet
        "CONSULT_ANALYSIS_DEBOUNCE": str(args.debounce),
        "CONSULT_RATELIMIT_ENABLED": "0",  # a benchmark is a flood by design
        "PYTHONUNBUFFERED": "1",
    }
    bases = [start_web("web-a", env, log_dir, stack), start_web("web-b", env, log_dir, stack)]
    start_worker(env, log_dir, stack)
    started = time.monotonic()
    wait_until(
        lambda: current_votes(app, cid)[1] is not None, "no first analysis within 5 minutes", 300
    )
    print(
        f"first analysis stored {time.monotonic() - started:.1f} s after the worker started",
        flush=True,
    )
    listener = Listener(bases[1], cid, token)
    stack.callback(listener.close)
    rng = np.random.default_rng(0)
    for rate in args.rates:
        load = os.getloadavg()
        row = run_rate(
            rate,
            args.seconds,
            app=app,
            cid=cid,
            bases=bases,
            statements=statements,
            listener=listener,
            threads=args.threads,
            per_participant=args.per_participant,
            rng=rng,
        )
        row["load_before"] = load
        row["load_after"] = os.getloadavg()
        print(json.dumps(row), flush=True)
        rows.append(row)


def _dispose(app: Any) -> None:
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
