"""How closely the polis profile reproduces the groups Polis published, cold and replayed.

Run by hand: `python -m clustering.bench.polis_replay [FOLDER ...] [--every 1 10 60 ...]`
(default folders: tests/data/polis/*). For each conversation prints the Adjusted Rand
Index against Polis's published groups (over the participants Polis grouped) of a cold
analysis of the final votes, and of replays of the vote history with one update per
`--every` seconds of vote time; then the mean over conversations of each column.

Polis updated a conversation whenever new votes arrived (it polled every second) and its
workers restarted now and then; the export records neither, so the cadence is unknown,
and each column is one plausible history.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from clustering.analysis import analyze
from clustering.bench.vs_red_dwarf import DEFAULT_FOLDERS, published_ari
from clustering.polis_export import read_export
from clustering.replay import replay

DEFAULT_CADENCES = [1.0, 10.0, 60.0, 600.0, 3600.0, 21600.0, 86400.0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--every", nargs="*", type=float, default=DEFAULT_CADENCES)
    args = parser.parse_args()
    header = ["cold"] + [_cadence(seconds) for seconds in args.every]
    print(f"{'conversation':28s} " + " ".join(f"{h:>7s}" for h in header) + "  median  seconds")
    columns: list[list[float]] = [[] for _ in header]
    for folder in args.folders:
        export = read_export(folder)
        started = time.perf_counter()
        scores = [
            published_ari(
                export, analyze(export.records(), **export.statements(), profile="polis").group_of()
            )
        ]
        for seconds in args.every:
            analysis = replay(
                export.records(), every=seconds, **export.statements(), profile="polis"
            )
            scores.append(published_ari(export, analysis.group_of()))
        for column, score in zip(columns, scores, strict=True):
            column.append(score)
        print(
            f"{folder.name:28s} "
            + " ".join(f"{s:7.3f}" for s in scores)
            + f"  {statistics.median(scores[1:]):6.3f}  {time.perf_counter() - started:7.1f}",
            flush=True,
        )
    print(f"{'mean':28s} " + " ".join(f"{statistics.mean(c):7.3f}" for c in columns))


def _cadence(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


if __name__ == "__main__":
    main()
