"""The polis profile beside red-dwarf (the Python reimplementation of the Polis math).

Run by hand: `pip install '.[bench]'` then
`python -m clustering.bench.vs_red_dwarf [FOLDER ...] [--repeat 7]`
(default folders: tests/data/polis/*). For each conversation both run a cold analysis of
the final votes, interleaved in this one process, `--repeat` times; prints median
seconds, the speedup, and each one's ARI against the groups Polis published.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from clustering.analysis import analyze
from clustering.polis_export import PolisExport, read_export

DEFAULT_FOLDERS = sorted((Path(__file__).parents[2] / "tests" / "data" / "polis").glob("*/"))


def ours(export: PolisExport) -> dict:
    analysis = analyze(export.records(), **export.statements(), profile="polis")
    return analysis.group_of()


def red_dwarf(export: PolisExport) -> dict:
    import pandas as pd
    from reddwarf.implementations.polis import run_pipeline

    latest = {}  # red-dwarf wants one vote per pair: the latest
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
    result = run_pipeline(
        votes=list(latest.values()),
        mod_out_statement_ids=export.moderated_out.tolist(),
        meta_statement_ids=export.meta.tolist(),
        random_state=0,
    )
    groups = result.participants_df["cluster_id"]
    return {int(pid): None if pd.isna(g) else int(g) for pid, g in groups.items()}


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
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            for name, function in (("ours", ours), ("red-dwarf", red_dwarf)):
                started = time.perf_counter()
                groups[name] = function(export)
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
