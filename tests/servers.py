"""Real server processes for tests, from the package's own helpers, serving this checkout."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path

import requests

from consult.bench import processes
from consult.bench.processes import Process, worker_process

CHECKOUT = Path(__file__).parents[1]

__all__ = [
    "Process",
    "conversation_over_http",
    "free_port",
    "voting_env",
    "web_process",
    "worker_process",
]


def voting_env(database_url: str) -> dict[str, str]:
    """A web process that only takes votes, as fast as they come: no analyses (several
    processes without Redis would each run them), no rate limits."""
    return {
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_SECRET_KEY": "test",
        "CONSULT_ANALYSIS": "off",
        "CONSULT_RATELIMIT_ENABLED": "0",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def conversation_over_http(
    base: str, headers: dict[str, str], seeds: list[str]
) -> tuple[str, list[int]]:
    """A consultation made through a real server's API: its id and its statements' ids."""
    created = requests.post(
        f"{base}/api/v1/conversations",
        json={"topic": "Load", "seed_statements": seeds},
        headers=headers,
        timeout=30,
    ).json()
    listed = requests.get(f"{base}/api/v1/conversations/{created['id']}/statements", timeout=30)
    return created["id"], [s["id"] for s in listed.json()["statements"]]


def web_process(
    env: Mapping[str, str], log: Path, *, workers: int = 1, threads: int = 100
) -> tuple[Process, str]:
    return processes.web_process(env, log, CHECKOUT, workers=workers, threads=threads)
