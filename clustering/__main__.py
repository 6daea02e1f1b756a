"""The command line of the clustering package.

`python -m clustering analyze DIR [--profile polis|consult] [--json] [--repeat N] [--replay S]`
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from clustering.analysis import PROFILES, Analysis, analyze
from clustering.polis_export import MalformedExport, PolisExport, read_export
from clustering.replay import replay


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clustering")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("analyze", help="analyse a Polis export folder")
    run.add_argument("folder")
    run.add_argument("--profile", choices=PROFILES, default="consult")
    run.add_argument("--json", action="store_true", help="print the Analysis as JSON")
    run.add_argument("--repeat", type=int, default=1, help="run the same cold analysis N times")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument(
        "--replay",
        type=float,
        metavar="SECONDS",
        help="replay the votes in time order, one update per SECONDS of vote time",
    )
    args = parser.parse_args(argv)

    try:
        export = read_export(args.folder)
    except MalformedExport as error:  # a missing or bad file: said by name and line, no traceback
        parser.error(str(error))
    options = {**export.statements(), "profile": args.profile, "random_state": args.seed}
    seconds = []
    for _ in range(max(args.repeat, 1)):
        started = time.perf_counter()
        if args.replay:
            analysis = replay(export.records(), every=args.replay, **options)
        else:
            analysis = analyze(export.matrix(), **options)
        seconds.append(time.perf_counter() - started)
    if args.json:
        sys.stdout.write(analysis.to_json() + "\n")
    else:
        sys.stdout.write(summary(analysis, export, seconds))
    return 0


def summary(analysis: Analysis, export: PolisExport, seconds: list[float]) -> str:
    """A readable account of the analysis: groups, what they stand for, consensus."""

    def text(statement_id: int) -> str:
        body = export.comment_text.get(statement_id, "").replace("\n", " ")
        return f"#{statement_id} {body[:90]}"

    lines = [
        f"profile {analysis.profile}: {analysis.counts['participants']} participants "
        f"({analysis.counts['grouped']} grouped), {analysis.counts['statements']} statements, "
        f"{analysis.counts['votes']} votes",
        analysis.division["summary"],
    ]
    for group in analysis.groups:
        lines.append(f"\nGroup {group['id']} ({group['members']} members) stands for:")
        for r in group["representative"]:
            share = f"{r['probability']:.0%}"
            lines.append(f"  {r['direction']:8s} {share:>4s}  {text(r['statement'])}")
    for direction in ("agree", "disagree"):
        lines.append(f"\nMost {direction} overall:")
        lines.extend(_listed(analysis.consensus[direction], text))
    lines.append("\nDivisive:")
    lines.extend(_listed(analysis.divisive, text))
    median = sorted(seconds)[len(seconds) // 2]
    lines.append(f"\n{len(seconds)} run(s), median {median:.3f} s per analysis")
    return "\n".join(lines) + "\n"


def _listed(statement_ids: list[int], text: Callable[[int], str]) -> list[str]:
    return [f"  {text(s)}" for s in statement_ids] or ["  (none)"]


if __name__ == "__main__":
    raise SystemExit(main())
