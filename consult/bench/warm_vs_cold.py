"""One warm update against one cold analysis, as the analysis runner does them, on PostgreSQL.

Run by hand (not a test):
`python -m consult.bench.warm_vs_cold --participants 10000 100000 --repeat 3`.

For each size, a fresh PostgreSQL database gets one consultation with a synthetic
conversation (`clustering.synthetic.generate`: N participants, S statements, log-normal
votes per participant with mean --mean-votes), loaded with COPY (consult.bench.setup). Then
a fresh process (so its peak RSS is the runner's own, not the generator's) times, end to
end, `consult.services.analysis_runs.refresh` as `consult worker` calls it:

- cold: `refresh(cid, VoteMemory(), force_cold=True)`: every vote read from the database,
  groups chosen afresh, the analysis stored; --repeat times, a fresh memory each time;
- warm: with the memory of the last cold run, a batch of new votes (--batch-participants
  new participants with --batch-votes votes each, inserted with SQLAlchemy Core,
  updated_at = now, and their vote-log entries), then `refresh(cid, memory)`, which reads
  only the changed votes and starts from the previous result; it must come back "warm"
  (the default schedule: cold every 10 minutes or after 10 % growth). --repeat times, a
  new batch each time.

Prints medians: end to end; reading the votes (VoteMemory.matrix, timed by a subclass);
the math alone (`summary["seconds"]`, clustering.analyze's own total). The rest is the
small queries, building the view and storing the analysis.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from clustering.synthetic import generate
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
from consult.models import ModerationStatus, Participant, Statement, Vote, VoteEvent
from consult.services.analysis_runs import refresh
from consult.services.vote_memory import VoteMemory

DEFAULT_STATEMENTS = {10_000: 200, 100_000: 1000}
LOADED_AGO = 3600.0  # the synthetic votes were cast an hour ago; new batches are "now"


def load_synthetic(n_participants: int, n_statements: int, mean_votes: float) -> dict[str, Any]:
    """Generate a conversation and load it as one consultation (inside an app context)."""
    started = time.perf_counter()
    conversation = generate(n_participants, n_statements, mean_votes=mean_votes, random_state=0)
    generated = time.perf_counter() - started
    votes = conversation.matrix.votes.tocoo()
    # A day of votes, ending an hour ago: a warm read looks back 30 s before the latest vote
    # it saw, so it re-reads only the loaded votes of that day's last 30 s.
    spread = np.linspace(0.0, 86_400.0, votes.nnz) if votes.nnz else np.zeros(0)
    records = VoteRecords(
        participant=votes.row.astype(np.int64),
        statement=votes.col.astype(np.int64),
        value=votes.data.astype(np.int64),
        time=time.time() - LOADED_AGO - 86_400.0 + spread,
    )
    facilitator = create_facilitator()
    cid = create_consultation(facilitator.user_id, "Synthetic benchmark")
    statements = [
        (f"Synthetic statement {j}", ModerationStatus.ACCEPTED) for j in range(n_statements)
    ]
    started = time.perf_counter()
    loaded = bulk_load(cid, statements, conversation.matrix.shape[0], records)
    return {
        "conversation_id": cid,
        "participants": int(conversation.matrix.shape[0]),
        "statements": n_statements,
        "votes": loaded.votes,
        "generate_s": round(generated, 1),
        "load_s": round(time.perf_counter() - started, 1),
    }


def add_batch(
    conversation_id: str,
    statement_ids: list[int],
    n_participants: int,
    votes_each: int,
    rng: np.random.Generator,
) -> int:
    """New participants with a few votes each, written as the API would (Core inserts)."""
    now = datetime.now(UTC)
    ids = db.session.scalars(
        insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
        [{"conversation_id": conversation_id, "is_simulated": True, "created_at": now}]
        * n_participants,
    ).all()
    rows = [
        {
            "conversation_id": conversation_id,
            "participant_id": pid,
            "statement_id": int(sid),
            "value": int(value),
        }
        for pid in ids
        for sid, value in zip(
            rng.choice(statement_ids, size=votes_each, replace=False),
            rng.choice([-1, 0, 1], size=votes_each),
            strict=True,
        )
    ]
    db.session.execute(insert(Vote), [{**row, "updated_at": now} for row in rows])
    db.session.execute(insert(VoteEvent), [{**row, "created_at": now} for row in rows])
    db.session.commit()
    return len(rows)


class TimedVoteMemory(VoteMemory):
    """A VoteMemory that keeps how long each read of the votes took."""

    def __init__(self) -> None:
        super().__init__()
        self.read_seconds: list[float] = []

    def matrix(self, conversation_id: str, statement_ids: list[int], *, reread: bool) -> Any:
        started = time.perf_counter()
        try:
            return super().matrix(conversation_id, statement_ids, reread=reread)
        finally:
            self.read_seconds.append(time.perf_counter() - started)


def measure(
    database_url: str, conversation_id: str, repeat: int, batch: tuple[int, int]
) -> dict[str, Any]:
    """Cold and warm refreshes of one consultation; run in a process of its own."""
    app = bench_app(database_url)
    rng = np.random.default_rng(1)
    cold: list[tuple[float, float, float]] = []
    warm: list[tuple[float, float, float]] = []
    memory = TimedVoteMemory()
    with app.app_context():
        for _ in range(repeat):
            memory = TimedVoteMemory()  # the last one primes the warm runs, as a worker's would be
            cold.append(_timed_refresh(conversation_id, memory, "cold", force_cold=True))
        statement_ids = list(
            db.session.scalars(select(Statement.id).filter_by(conversation_id=conversation_id))
        )
        db.session.remove()
        for _ in range(repeat):
            add_batch(conversation_id, statement_ids, *batch, rng)
            db.session.remove()
            warm.append(_timed_refresh(conversation_id, memory, "warm"))
    return {
        **{
            f"{name}_s": [round(t, 3) for t, _, _ in runs]
            for name, runs in (("cold", cold), ("warm", warm))
        },
        **{
            f"{name}_read_s": [round(r, 3) for _, r, _ in runs]
            for name, runs in (("cold", cold), ("warm", warm))
        },
        **{
            f"{name}_math_s": [round(m, 3) for _, _, m in runs]
            for name, runs in (("cold", cold), ("warm", warm))
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _timed_refresh(
    conversation_id: str, memory: TimedVoteMemory, kind: str, *, force_cold: bool = False
) -> tuple[float, float, float]:
    """Seconds end to end, reading votes, and the math alone of one `kind` refresh."""
    started = time.perf_counter()
    stored = refresh(conversation_id, memory, force_cold=force_cold)
    elapsed = time.perf_counter() - started
    if stored is None or stored.kind != kind:
        raise RuntimeError(f"expected a {kind} analysis, got {stored and stored.kind}")
    math = float(stored.summary["seconds"])
    db.session.remove()
    return elapsed, memory.read_seconds[-1], math


def one_size(n_participants: int, n_statements: int, args: argparse.Namespace) -> dict[str, Any]:
    with fresh_database("bench_warm_cold") as url:
        app = bench_app(url)
        with app.app_context():
            row = load_synthetic(n_participants, n_statements, args.mean_votes)
            db.session.remove()
            db.engine.dispose()
        command = [
            sys.executable,
            "-m",
            "consult.bench.warm_vs_cold",
            "--child",
            url,
            row["conversation_id"],
            "--repeat",
            str(args.repeat),
            "--batch-participants",
            str(args.batch_participants),
            "--batch-votes",
            str(args.batch_votes),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"the measuring process failed:\n{out.stderr[-4000:]}")
        row.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| participants | statements | votes | cold s (median) | warm s (median) | warm/cold "
        "| cold: read / math s | warm: read / math s | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cold, warm = statistics.median(row["cold_s"]), statistics.median(row["warm_s"])
        cells = [
            *(f"{row[key]:,}" for key in ("participants", "statements", "votes")),
            f"{cold:.2f}",
            f"{warm:.2f}",
            f"{warm / cold:.2f}",
            *(
                f"{_median(row, f'{k}_read_s')} / {_median(row, f'{k}_math_s')}"
                for k in ("cold", "warm")
            ),
            f"{row['peak_rss_mb']:,}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _median(row: dict[str, Any], key: str) -> str:
    return f"{statistics.median(row[key]):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--statements",
        type=int,
        nargs="*",
        help="statements per size (default 200 for 10k, 1000 for 100k and above)",
    )
    parser.add_argument("--mean-votes", type=float, default=30.0, help="mean votes per participant")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-participants", type=int, default=20)
    parser.add_argument("--batch-votes", type=int, default=5, help="votes per new participant")
    parser.add_argument(
        "--child", nargs=2, metavar=("DATABASE_URL", "CONVERSATION_ID"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    stop_cleanly_on_sigterm()
    if args.child:
        result = measure(*args.child, args.repeat, (args.batch_participants, args.batch_votes))
        print(json.dumps(result))
        return
    if args.statements and len(args.statements) != len(args.participants):
        parser.error("give one --statements value per --participants value")
    sizes = args.statements or [
        DEFAULT_STATEMENTS.get(n, 200 if n <= 10_000 else 1000) for n in args.participants
    ]
    rows = []
    for n_participants, n_statements in zip(args.participants, sizes, strict=True):
        started = time.perf_counter()
        row = one_size(n_participants, n_statements, args)
        row["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print()
    print(table(rows))
    print(
        f"\nwarm batch: {args.batch_participants} new participants x {args.batch_votes} votes; "
        f"--repeat {args.repeat}; synthetic mean votes per participant {args.mean_votes:g}"
    )


if __name__ == "__main__":
    main()
