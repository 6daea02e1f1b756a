"""The polis profile beside red-dwarf (the Python reimplementation of the Polis math).

Run by hand: `pip install '.[bench]'` then
`python -m clustering.bench.vs_red_dwarf [FOLDER ...] [--repeat 7]`
(default folders: tests/data/polis/*). For each conversation both run a cold analysis of
the final votes, interleaved in this one process, `--repeat` times; prints median
seconds, the speedup, and each one's ARI against the groups Polis published. Each side's
input (our records, red-dwarf's list of latest votes) is built before the clock starts;
the timed call goes from those votes to groups. Ours includes every report number
(intervals, tests, bridging, consensus), red-dwarf's its pipeline (PCA, clustering,
representative statements).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from clustering.analysis import analyze
from clustering.polis_export import PolisExport, read_export

DEFAULT_FOLDERS = sorted((Path(__file__).parents[2] / "tests" / "data" / "polis").glob("*/"))


def ours(export: PolisExport) -> Callable[[], dict]:
    """Our cold analysis of the export's vote records, ready to time."""
    records, statements = list(export.records()), export.statements()

    def run() -> dict:
        return analyze(records, **statements, profile="polis").group_of()

    return run


def red_dwarf(export: PolisExport) -> Callable[[], dict]:
    """red-dwarf's Polis pipeline on the same votes, ready to time.

    red-dwarf wants one vote per pair (the latest); that is worked out here, outside the
    timed call.
    """
    import pandas as pd
    from reddwarf.implementations.polis import run_pipeline

    latest = {}
    for p, s, v, t in sorted(
        zip(export.voter, export.comment, export.vote, export.timestamp, strict=True),
        key=lambda r: r[3],
    ):
        latest[int(p), int(s)] = {
            "participant_id": int(p),
            "statement_id": int(s),
            "vote": int(v),
            "modified": int(t),
        }
    votes = list(latest.values())

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{'conversation':28s} {'ours s':>8s} {'red-dwarf s':>11s} {'speedup':>8s} "
          f"{'ARI ours':>9s} {'ARI rd':>7s}")
    for folder in args.folders:
        export = read_export(folder)
        seconds: dict[str, list[float]] = {"ours": [], "red-dwarf": []}
        groups: dict[str, dict] = {}
        runs = {"ours": ours(export), "red-dwarf": red_dwarf(export)}
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            for name, run in runs.items():
                started = time.perf_counter()
                groups[name] = run()
                seconds[name].append(time.perf_counter() - started)
        our_s, rd_s = statistics.median(seconds["ours"]), statistics.median(seconds["red-dwarf"])
        print(
            f"{folder.name:28s} {our_s:8.3f} {rd_s:11.3f} {rd_s / our_s:7.1f}x "
            f"{published_ari(export, groups['ours']):9.3f} "
            f"{published_ari(export, groups['red-dwarf']):7.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
