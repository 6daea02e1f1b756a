"""The polis profile beside red-dwarf (the Python reimplementation of the Polis math).

Run by hand: `pip install '.[bench]'` then
`python -m clustering.bench.vs_red_dwarf [FOLDER ...] [--repeat 5]`
(default folders: tests/data/polis/*). For each conversation both run cold, side by side
in this one process, `--repeat` times; prints median seconds, the speedup, and each one's
ARI against the groups Polis published.
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
    records = list(zip(export.voter.tolist(), export.comment.tolist(), export.vote.tolist(), export.timestamp.tolist(), strict=True))
    analysis = analyze(records, statement_ids=export.comment_ids.tolist(), moderated_out=export.moderated_out.tolist(), profile="polis")
    return {p["id"]: p["group"] for p in analysis.participants}


def red_dwarf(export: PolisExport) -> dict:
    from reddwarf.implementations.polis import run_pipeline

    latest = {}  # red-dwarf wants one vote per pair: the latest
    for p, s, v, t in sorted(zip(export.voter, export.comment, export.vote, export.timestamp, strict=True), key=lambda r: r[3]):
        latest[int(p), int(s)] = {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": int(t)}
    votes = list(latest.values())
    result = run_pipeline(votes=votes, mod_out_statement_ids=export.moderated_out.tolist(), random_state=0)
    import pandas as pd

    groups = result.participants_df["cluster_id"]
    return {int(pid): None if pd.isna(g) else int(g) for pid, g in groups.items()}


def ari(export: PolisExport, groups: dict) -> float:
    pairs = [(g, -1 if groups.get(p) is None else groups[p]) for p, g in export.published_groups.items() if g is not None]
    return adjusted_rand_score(*zip(*pairs, strict=True))


def timed(function, export: PolisExport, repeat: int) -> tuple[float, dict]:
    seconds, result = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(export)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'conversation':28s} {'ours s':>8s} {'red-dwarf s':>11s} {'speedup':>8s} {'ARI ours':>9s} {'ARI rd':>7s}")
    for folder in args.folders:
        export = read_export(folder)
        our_seconds, our_groups = timed(ours, export, args.repeat)
        rd_seconds, rd_groups = timed(red_dwarf, export, args.repeat)
        print(f"{folder.name:28s} {our_seconds:8.3f} {rd_seconds:11.3f} {rd_seconds / our_seconds:7.1f}x "
              f"{ari(export, our_groups):9.3f} {ari(export, rd_groups):7.3f}", flush=True)


if __name__ == "__main__":
    main()
