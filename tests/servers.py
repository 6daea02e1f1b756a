"""Real server processes for tests, from the package's own helpers, serving this checkout."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from consult.bench import processes
from consult.bench.processes import Process, worker_process

CHECKOUT = Path(__file__).parents[1]

__all__ = ["Process", "web_process", "worker_process"]


def web_process(
    env: Mapping[str, str], log: Path, *, workers: int = 1, threads: int = 100
) -> tuple[Process, str]:
    return processes.web_process(env, log, CHECKOUT, workers=workers, threads=threads)
