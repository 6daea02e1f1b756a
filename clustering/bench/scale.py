"""How long one analysis takes, and how much memory, as conversations grow.

Run by hand (not a test): `python -m clustering.bench.scale [--sizes 10000 50000 100000]`.
Each size runs in a fresh process so peak memory (max RSS) is that analysis's own.
Prints the median of --repeat cold runs per profile.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from clustering.analysis import analyze
from clustering.matrix import from_records

STATEMENTS = 2000
VOTES_PER_PARTICIPANT = 50  # 50,000 participants -> 2.5 million votes


def synthetic_matrix(n_participants: int, n_statements: int, random_state: int = 0):
    """Planted 4-group conversation at scale, built with array operations only."""
    rng = np.random.default_rng(random_state)
    groups = rng.integers(0, 4, size=n_participants)
    agree = rng.beta(0.6, 0.6, size=(4, n_statements))
    counts = np.clip(
        rng.lognormal(np.log(VOTES_PER_PARTICIPANT) - 0.3, 0.77, n_participants).round(),
        1,
        n_statements,
    ).astype(int)
    rows = np.repeat(np.arange(n_participants), counts)
    # Statements seen: random, duplicates within a row collapse to the latest record.
    cols = rng.integers(0, n_statements, size=rows.size)
    p = agree[groups[rows], cols]
    u = rng.random(rows.size)
    values = np.where(u < 0.15, 0, np.where(u < 0.15 + 0.85 * p, 1, -1))
    return from_records(rows, cols, values, statement_ids=np.arange(n_statements))


def one_size(n_participants: int, profile: str, repeat: int) -> dict:
    matrix = synthetic_matrix(n_participants, STATEMENTS)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        analysis = analyze(matrix, profile=profile)
        seconds.append(time.perf_counter() - started)
    warm_started = time.perf_counter()
    analyze(matrix, profile=profile, previous=analysis)
    warm = time.perf_counter() - warm_started
    return {
        "participants": n_participants,
        "votes": int(matrix.votes.nnz),
        "profile": profile,
        "median_seconds": round(statistics.median(seconds), 3),
        "warm_seconds": round(warm, 3),
        "steps": analysis.methodology["seconds"],
        "groups": analysis.division["n_groups"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000, 100_000])
    parser.add_argument("--profiles", nargs="*", default=["consult", "polis"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "PROFILE"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_size(int(args.child[0]), args.child[1], args.repeat)))
        return
    for size in args.sizes:
        for profile in args.profiles:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "clustering.bench.scale",
                    "--child",
                    str(size),
                    profile,
                    "--repeat",
                    str(args.repeat),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            print(out.strip(), flush=True)


if __name__ == "__main__":
    main()
