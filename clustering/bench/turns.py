"""Runs that take turns in one process, timed alike: the benches' shared clock."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping
from typing import Any


def take_turns(
    runs: Mapping[str, Callable[[], Any]], repeat: int, warm_up: int = 0
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Each run `warm_up + repeat` times, one of each in turn; the seconds of the last
    `repeat` turns of each, and what each returned last.

    Turns alternate so that every run sees the machine at the same moments (its speed
    drifts within minutes). Garbage the last run left is collected before the clock starts.
    """
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for turn in range(warm_up + repeat):
        for name, run in runs.items():
            gc.collect()  # the last run's garbage is not this run's cost
            started = time.perf_counter()
            results[name] = run()
            if turn >= warm_up:
                seconds[name].append(time.perf_counter() - started)
    return seconds, results
