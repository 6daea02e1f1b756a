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
import importlib
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

from threadpoolctl import threadpool_limits

from clustering.bench.turns import take_turns
from clustering.bench.vs_red_dwarf import DEFAULT_FOLDERS, latest_votes, ours
from clustering.polis_export import read_export

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("revision")
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--profile", default="polis")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=1):
        matrix_then, analysis_then = package_at(args.revision, Path(folder))
        print(f"{'conversation':28s} {args.revision[:12]:>12s} {'here':>9s} {'change':>8s}")
        for conversation in args.folders:
            export = read_export(conversation)
            latest = latest_votes(export)
            runs = {
                "then": ours(export, latest, args.profile, matrix_then, analysis_then),
                "here": ours(export, latest, args.profile),
            }
            seconds, _ = take_turns(runs, args.repeat, warm_up=args.repeat // 10)
            median = {name: statistics.median(s) * 1000 for name, s in seconds.items()}
            change = 100 * (median["here"] / median["then"] - 1)
            print(
                f"{conversation.name:28s} {median['then']:9.2f} ms {median['here']:6.2f} ms "
                f"{change:+7.1f} %",
                flush=True,
            )


if __name__ == "__main__":
    main()
