"""How much of the recoverable structure the consult profile recovers, on planted groups.

Run by hand: `python -m clustering.bench.synthetic_share [--participants 2000] [--seeds 3]`.
For 1–5 planted groups and 100 or 300 statements (about 30 votes per participant, long
tailed), prints the ARI against the planted groups as a share of the ARI of an oracle
that knows the planted probabilities (with one planted group: 1 if one group is found).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from sklearn.metrics import adjusted_rand_score

from clustering.analysis import analyze
from clustering.synthetic import generate, oracle_labels


def share(n_groups: int, n_statements: int, n_participants: int, seed: int) -> tuple[float, int]:
    conversation = generate(n_participants, n_statements, n_groups, random_state=seed)
    analysis = analyze(conversation.matrix, random_state=seed)
    found = analysis.division["n_groups"]
    if n_groups == 1:
        return float(found <= 1), found
    groups = np.array([-1 if p["group"] is None else p["group"] for p in analysis.participants])
    grouped = groups >= 0
    truth = conversation.groups[grouped]
    ours = adjusted_rand_score(truth, groups[grouped])
    oracle = adjusted_rand_score(truth, oracle_labels(conversation)[grouped])
    return ours / oracle, found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print("groups statements  median-share  min-share  groups-found")
    for n_statements in (100, 300):
        for n_groups in range(1, 6):
            results = [
                share(n_groups, n_statements, args.participants, seed) for seed in range(args.seeds)
            ]
            shares = [r[0] for r in results]
            print(
                f"{n_groups:6d} {n_statements:10d}  {statistics.median(shares):12.3f}"
                f"  {min(shares):9.3f}  {[r[1] for r in results]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
