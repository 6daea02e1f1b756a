"""The cost of one cold analysis here beside the same analysis at an earlier revision.

Run by hand from a git checkout: `python -m clustering.bench.versus_revision REVISION
[FOLDER ...] [--profile polis] [--repeat 100]` (default folders: tests/data/polis/*).

The `clustering` package of REVISION is taken from git (`git archive`) into a temporary
folder under another name, its imports of itself renamed, and loaded beside this one. The
two analyses then alternate in one process on the same vote columns, `--repeat` times
each, the first tenth left out as warm-up, every thread pool at one thread: both see the
same machine at the same moments, which runs in separate processes a minute apart do not
(this project's machines have drifted by half in an hour). Printed: the median
milliseconds of each and the change.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from threadpoolctl import threadpool_limits

from clustering.bench.vs_red_dwarf import DEFAULT_FOLDERS, LatestVotes, latest_votes
from clustering.polis_export import PolisExport, read_export

RENAMED = "clustering_at_revision"
_SELF_IMPORT = re.compile(r"^(\s*)(from|import) clustering\b", re.MULTILINE)


def package_at(revision: str, folder: Path) -> tuple[ModuleType, ModuleType]:
    """`clustering.matrix` and `clustering.analysis` as they were at `revision`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "clustering"],
        capture_output=True,
        check=True,  # in the working directory: the checkout run from (an install has no git)
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / RENAMED
    (folder / "clustering").rename(package)
    for source in package.rglob("*.py"):
        source.write_text(_SELF_IMPORT.sub(rf"\1\2 {RENAMED}", source.read_text()))
    sys.path.insert(0, str(folder))
    return (
        importlib.import_module(f"{RENAMED}.matrix"),
        importlib.import_module(f"{RENAMED}.analysis"),
    )


def runner(
    matrix: ModuleType, analysis: ModuleType, export: PolisExport, latest: LatestVotes, profile: str
) -> Callable[[], object]:
    """One cold analysis from vote columns, with the given package's modules."""

    def run() -> object:
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
        )

    return run


def compare(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median milliseconds of each run, taking turns, the first tenth left out."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    warm_up = repeat // 10
    for turn in range(repeat + warm_up):
        for name, run in runs.items():
            gc.collect()  # the last run's garbage is not this run's cost
            started = time.perf_counter()
            run()
            if turn >= warm_up:
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("revision")
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--profile", default="polis")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    import clustering.analysis as analysis_here
    import clustering.matrix as matrix_here

    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=1):
        matrix_then, analysis_then = package_at(args.revision, Path(folder))
        print(f"{'conversation':28s} {args.revision[:12]:>12s} {'here':>9s} {'change':>8s}")
        for conversation in args.folders:
            export = read_export(conversation)
            latest = latest_votes(export)
            runs = {
                "then": runner(matrix_then, analysis_then, export, latest, args.profile),
                "here": runner(matrix_here, analysis_here, export, latest, args.profile),
            }
            median = compare(runs, args.repeat)
            change = 100 * (median["here"] / median["then"] - 1)
            print(
                f"{conversation.name:28s} {median['then']:9.2f} ms {median['here']:6.2f} ms "
                f"{change:+7.1f} %",
                flush=True,
            )


if __name__ == "__main__":
    main()
