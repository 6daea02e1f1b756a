"""The polis profile beside red-dwarf (the Python reimplementation of the Polis math).

Run by hand: `pip install '.[bench]'` then
`python -m clustering.bench.vs_red_dwarf [FOLDER ...] [--repeat 7]`
(default folders: tests/data/polis/*). For each conversation three runs take turns in this
one process, `--repeat` times: our `polis` profile, red-dwarf, and our default `consult`
profile. Printed: median seconds of each, the polis profile's speedup over red-dwarf, and
the ARI of each against the groups Polis published.

Made fair as follows:

- Same input, prepared the same way before the clock: the latest vote of each
  (participant, statement) pair, worked out once. red-dwarf gets it as the list of vote
  dicts it takes; we get it as numpy columns (`clustering.matrix.from_records` takes
  arrays). Each side builds its own matrix inside the timed call.
- One thread for everything, red-dwarf included: BLAS and OpenMP pools limited to one
  (`threadpoolctl`). `analyze` limits BLAS to one itself; red-dwarf would otherwise use
  every core for BLAS and for scikit-learn's k-means (OpenMP). The pools are printed.
- Turns alternate, so every side sees the same machine load; garbage from one side's run
  is collected before the next starts, outside the clock.

Ours includes every report number (intervals, tests, bridging, consensus), red-dwarf's its
pipeline (PCA, clustering, representative statements).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_info, threadpool_limits

import clustering.analysis
import clustering.matrix
from clustering.bench.turns import take_turns
from clustering.polis_export import PolisExport, read_export

DEFAULT_FOLDERS = sorted((Path(__file__).parents[2] / "tests" / "data" / "polis").glob("*/"))


@dataclass(frozen=True)
class LatestVotes:
    """The latest vote of each (participant, statement) pair, as columns in time order."""

    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    vote: NDArray[np.int64]
    timestamp: NDArray[np.int64]


def latest_votes(export: PolisExport) -> LatestVotes:
    """Drop every vote a later vote on the same pair replaced (ties: the later row)."""
    order = np.argsort(export.timestamp, kind="stable")
    pairs = np.column_stack([export.voter[order], export.comment[order]])
    # The last occurrence of each pair in time order: the first in the reversed order.
    _, first_reversed = np.unique(pairs[::-1], axis=0, return_index=True)
    kept = np.sort(order[len(order) - 1 - first_reversed])
    kept = kept[np.argsort(export.timestamp[kept], kind="stable")]
    return LatestVotes(
        export.voter[kept], export.comment[kept], export.vote[kept], export.timestamp[kept]
    )


def ours(
    export: PolisExport,
    latest: LatestVotes,
    profile: str,
    matrix: ModuleType = clustering.matrix,
    analysis: ModuleType = clustering.analysis,
) -> Callable[[], dict]:
    """Our cold analysis from vote columns to groups, ready to time; with another
    revision's `matrix` and `analysis` modules when given (`versus_revision`)."""

    def run() -> dict:
        votes = matrix.from_records(
            latest.participant,
            latest.statement,
            latest.vote,
            latest.timestamp,
            statement_ids=export.comment_ids,
        )
        return analysis.analyze(
            votes,
            moderated_out=export.moderated_out.tolist(),
            meta=export.meta.tolist(),
            profile=profile,
        ).group_of()

    return run


def red_dwarf(export: PolisExport, latest: LatestVotes) -> Callable[[], dict]:
    """red-dwarf's Polis pipeline on the same votes, ready to time."""
    import pandas as pd
    from reddwarf.implementations.polis import run_pipeline

    votes = [
        {"participant_id": p, "statement_id": s, "vote": v, "modified": t}
        for p, s, v, t in zip(
            latest.participant.tolist(),
            latest.statement.tolist(),
            latest.vote.tolist(),
            latest.timestamp.tolist(),
            strict=True,
        )
    ]

    def run() -> dict:
        result = run_pipeline(
            votes=votes,
            mod_out_statement_ids=export.moderated_out.tolist(),
            meta_statement_ids=export.meta.tolist(),
            random_state=0,
        )
        groups = result.participants_df["cluster_id"]
        return {int(pid): None if pd.isna(g) else int(g) for pid, g in groups.items()}

    return run


def published_ari(export: PolisExport, groups: dict) -> float:
    pairs = [
        (g, -1 if groups.get(p) is None else groups[p])
        for p, g in export.published_groups.items()
        if g is not None
    ]
    return adjusted_rand_score(*zip(*pairs, strict=True))


def thread_pools() -> str:
    """The thread count of each loaded BLAS and OpenMP library, as it stands now."""
    return ", ".join(
        f"{pool['user_api']} {pool['internal_api']} {pool['num_threads']}"
        for pool in threadpool_info()
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    # red-dwarf's imports load scikit-learn's OpenMP library: import them before limiting.
    from reddwarf.implementations.polis import run_pipeline  # noqa: F401

    with threadpool_limits(limits=1):
        print(f"threads for every run: {thread_pools()}")
        print(
            f"{'conversation':28s} {'votes':>6s} {'polis s':>8s} {'red-dwarf s':>11s} "
            f"{'speedup':>8s} {'consult s':>9s} {'ARI polis':>9s} {'ARI rd':>7s} "
            f"{'ARI consult':>11s}"
        )
        for folder in args.folders:
            compare(folder, args.repeat)


def compare(folder: Path, repeat: int) -> None:
    """Time the three runs on one conversation, taking turns, and print one line."""
    export = read_export(folder)
    latest = latest_votes(export)
    runs = {
        "polis": ours(export, latest, "polis"),
        "red-dwarf": red_dwarf(export, latest),
        "consult": ours(export, latest, "consult"),
    }
    seconds, groups = take_turns(runs, repeat)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    ari = {name: published_ari(export, g) for name, g in groups.items()}
    print(
        f"{folder.name:28s} {len(latest.vote):6d} {median['polis']:8.3f} "
        f"{median['red-dwarf']:11.3f} {median['red-dwarf'] / median['polis']:7.1f}x "
        f"{median['consult']:9.3f} {ari['polis']:9.3f} {ari['red-dwarf']:7.3f} "
        f"{ari['consult']:11.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
