"""How long one analysis takes, and how much memory, as conversations grow.

Run by hand (not a test):
`python -m clustering.bench.scale [--sizes 10000 50000 100000] [--generators uniform long_tail]`.
Each size, generator and profile runs in a fresh process, so peak memory (max RSS) is that
analysis's own (data generation included). Prints one JSON line per run (with the seconds
of each step of the last cold run, and the CPU seconds of each cold run), then a table:
the median of --repeat cold runs, one warm update from the last, peak RSS, the groups
found and their agreement (ARI) with the planted groups.

Two generators of four planted groups, about 50 votes per participant (2.5 M votes at
50,000 participants), written independently of each other so that a speed-up tuned on one
is checked on the other:

- "uniform" (`synthetic_matrix`): groups of equal expected size, each statement equally
  likely to be seen, P(agree) per group and statement ~ Beta(0.6, 0.6), passes 15 %.
- "long_tail" (`long_tail_matrix`): groups of unequal size, a tenth of random voters,
  a few statements seen by many and most by few, votes per person Pareto-tailed, each
  person's own pass rate, and opinions from a low-dimensional logistic model.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.metrics import adjusted_rand_score

from clustering.analysis import analyze
from clustering.matrix import VoteMatrix, from_records

STATEMENTS = 2000
VOTES_PER_PARTICIPANT = 50  # 50,000 participants -> 2.5 million votes


def synthetic_matrix(
    n_participants: int, n_statements: int, random_state: int = 0
) -> tuple[VoteMatrix, NDArray[np.int64]]:
    """Planted 4-group conversation at scale, built with array operations only.

    Returns the matrix and the planted group of each row.
    """
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
    matrix = from_records(rows, cols, values, statement_ids=np.arange(n_statements))
    return matrix, groups[matrix.participant_ids]


GROUP_SHARES = (0.45, 0.30, 0.17, 0.08)
RANDOM_VOTERS = 0.10
# Four equidistant places in a 3-D opinion space (corners of a regular tetrahedron).
GROUP_PLACES = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
PERSONAL_SPREAD = 0.35  # each person sits this far (sd per axis) from their group's place
CONSENSUS_SHARE = 0.25  # statements every group sees alike (no loading on any axis)
POPULARITY_SIGMA = 1.6  # log-normal spread of how often a statement is shown
PARETO_SHAPE = 1.5  # tail of votes per person: P(count > x) ~ x^-1.5
FEWEST_VOTES = 23  # the Pareto's scale; gives about 50 distinct votes per person


def long_tail_matrix(
    n_participants: int, n_statements: int, random_state: int = 0
) -> tuple[VoteMatrix, NDArray[np.int64]]:
    """Four groups of unequal size among random voters, with long-tailed attention.

    Opinion: P(agree) = σ(⟨place_i, loading_j⟩ + appeal_j), place_i = its group's corner
    of a tetrahedron plus a personal offset; random voters agree with probability 1/2.
    Attention: each person casts a Pareto-distributed number of draws, each draw a
    statement picked in proportion to its log-normal popularity (repeats collapse).
    Each person passes at their own rate ~ Beta(1.2, 6) (mean 0.17).
    Returns the matrix and the planted group of each row (−1 for random voters).
    """
    rng = np.random.default_rng(random_state)
    n, m = n_participants, n_statements
    group = rng.choice(len(GROUP_SHARES), size=n, p=GROUP_SHARES)
    group[rng.random(n) < RANDOM_VOTERS] = -1
    place = GROUP_PLACES[np.maximum(group, 0)] + rng.normal(0, PERSONAL_SPREAD, size=(n, 3))
    loading = rng.normal(0, 1, size=(m, 3))
    loading[rng.random(m) < CONSENSUS_SHARE] = 0
    appeal = rng.normal(0, 1, size=m)

    popularity = rng.lognormal(0, POPULARITY_SIGMA, size=m)
    cumulative = np.cumsum(popularity) / popularity.sum()
    draws = FEWEST_VOTES * (1 - rng.random(n)) ** (-1 / PARETO_SHAPE)
    rows = np.repeat(np.arange(n), np.minimum(draws, m).astype(np.int64))
    cols = np.minimum(np.searchsorted(cumulative, rng.random(rows.size)), m - 1)

    leaning = expit(np.einsum("vd,vd->v", place[rows], loading[cols]) + appeal[cols])
    p_agree = np.where(group[rows] >= 0, leaning, 0.5)
    passes = rng.random(rows.size) < rng.beta(1.2, 6.0, size=n)[rows]
    values = np.where(passes, 0, np.where(rng.random(rows.size) < p_agree, 1, -1))
    matrix = from_records(rows, cols, values, statement_ids=np.arange(m))
    return matrix, group[matrix.participant_ids]


GENERATORS: dict[str, Callable[[int, int], tuple[VoteMatrix, NDArray[np.int64]]]] = {
    "uniform": synthetic_matrix,
    "long_tail": long_tail_matrix,
}


def one_run(n_participants: int, generator: str, profile: str, repeat: int) -> dict:
    """Time `repeat` cold analyses and one warm update of one generated conversation."""
    matrix, planted = GENERATORS[generator](n_participants, STATEMENTS)
    seconds, cpu_seconds = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        analysis = analyze(matrix, profile=profile)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    warm_started = time.perf_counter()
    analyze(matrix, profile=profile, previous=analysis)
    warm = time.perf_counter() - warm_started
    return {
        "participants": n_participants,
        "generator": generator,
        "votes": int(matrix.votes.nnz),
        "profile": profile,
        "median_seconds": round(statistics.median(seconds), 3),
        "cold_seconds": [round(s, 3) for s in seconds],
        # CPU time: on a shared machine it moves far less with the neighbours' load.
        "cold_cpu_seconds": [round(s, 3) for s in cpu_seconds],
        "warm_seconds": round(warm, 3),
        "steps": analysis.methodology["seconds"],
        "groups": analysis.division["n_groups"],
        "strength": analysis.division.get("strength"),
        "ari_with_planted": round(_ari_with_planted(analysis, matrix, planted), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _ari_with_planted(analysis, matrix: VoteMatrix, planted: NDArray[np.int64]) -> float:
    """ARI over participants who are in a planted group and were assigned to a group."""
    found = np.array([-1 if p["group"] is None else p["group"] for p in analysis.participants])
    both = (found >= 0) & (planted >= 0)
    return float(adjusted_rand_score(planted[both], found[both])) if both.sum() >= 2 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000, 100_000])
    parser.add_argument("--generators", nargs="*", default=list(GENERATORS), choices=GENERATORS)
    parser.add_argument("--profiles", nargs="*", default=["consult", "polis"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("SIZE", "GENERATOR", "PROFILE"))
    args = parser.parse_args()
    if args.child:
        size, generator, profile = args.child
        print(json.dumps(one_run(int(size), generator, profile, args.repeat)))
        return
    results = []
    for size in args.sizes:
        for generator in args.generators:
            for profile in args.profiles:
                child = [sys.executable, "-m", "clustering.bench.scale", "--child"]
                child += [str(size), generator, profile, "--repeat", str(args.repeat)]
                out = subprocess.run(child, capture_output=True, text=True, check=True).stdout
                print(out.strip(), flush=True)
                results.append(json.loads(out))
    print()
    print(
        "| participants | generator | votes | profile | cold median s | warm s | peak RSS MB "
        "| groups (strength) | ARI with planted |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['participants']:,} | {r['generator']} | {r['votes'] / 1e6:.2f} M "
            f"| {r['profile']} | {r['median_seconds']:.2f} | {r['warm_seconds']:.2f} "
            f"| {r['peak_rss_mb']} | {r['groups']} ({r['strength']}) "
            f"| {r['ari_with_planted']:.2f} |"
        )


if __name__ == "__main__":
    main()
