"""Does the consult profile give the same groups whatever the seed, and on 90 % subsamples?

Run by hand: `python -m clustering.bench.seed_stability [FOLDER ...] [--seeds 10]`
(default: every conversation in tests/data/polis). For each conversation, a cold analysis
with seeds 0..N−1 of all participants, then of N subsamples of 90 % of the participants
(subsample s drawn with seed s, analysed with random_state s). Prints the numbers of
groups found (and strengths) and the mean adjusted Rand index over all pairs of runs,
over the participants grouped in both runs of a pair.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from clustering.analysis import analyze
from clustering.matrix import VoteMatrix, from_records
from clustering.polis_export import read_export

DEFAULT_FOLDERS = sorted(
    p
    for p in (Path(__file__).resolve().parents[2] / "tests" / "data" / "polis").iterdir()
    if p.is_dir()
)
SUBSAMPLE = 0.9


def runs(folder: Path, seeds: int, subsample: bool) -> list[tuple]:
    """(group of each participant id, strength, n_groups, k by the one-SE rule, z of the
    groups against the one-axis model) for each seed."""
    export = read_export(folder)
    statements = export.statements()
    records = export.records()
    full = from_records(*zip(*records, strict=True), statement_ids=statements["statement_ids"])
    out = []
    for seed in range(seeds):
        matrix = full
        if subsample:
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(full.shape[0], int(SUBSAMPLE * full.shape[0]), replace=False))
            matrix = VoteMatrix(full.votes[rows], full.participant_ids[rows], full.statement_ids)
        analysis = analyze(
            matrix,
            moderated_out=statements["moderated_out"],
            meta=statements["meta"],
            random_state=seed,
        )
        division = analysis.division
        out.append(
            (
                analysis.group_of(),
                division["strength"],
                division["n_groups"],
                division.get("chosen_n_groups"),
                division.get("z_groups_versus_spectrum"),
            )
        )
    return out


def mean_pairwise_ari(groupings: list[dict]) -> float:
    """Mean ARI over pairs of runs, over participants grouped in both runs of a pair."""
    values = []
    for a, b in itertools.combinations(groupings, 2):
        both = [p for p in a if a[p] is not None and b.get(p) is not None]
        if len(both) >= 2:
            values.append(adjusted_rand_score([a[p] for p in both], [b[p] for p in both]))
    return float(np.mean(values)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    print(
        "| conversation | runs | groups found (strength) | mean pairwise ARI "
        "| k by one-SE rule | z groups vs axis | seconds |"
    )
    print("|---|---|---|---|---|---|---|")
    for folder in args.folders:
        for subsample in (False, True):
            started = time.perf_counter()
            found = runs(folder, args.seeds, subsample)
            ks = Counter(f"{k} ({strength})" for _, strength, k, _, _ in found)
            rule = Counter(str(f[3]) for f in found)
            z = [f[4] for f in found if f[4] is not None]
            print(
                f"| {folder.name} | {'90 % subsamples' if subsample else 'seeds'} "
                f"| {', '.join(f'{k} ×{n}' for k, n in sorted(ks.items()))} "
                f"| {mean_pairwise_ari([f[0] for f in found]):.3f} "
                f"| {', '.join(f'{k} ×{n}' for k, n in sorted(rule.items()))} "
                f"| {min(z):.1f} to {max(z):.1f} "
                f"| {time.perf_counter() - started:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
