"""Real server processes, for benchmarks and tests: gunicorn web processes and workers.

Run from a checkout: the web processes serve `wsgi:app`, the production entry point, from
the folder given as `checkout`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Process:
    """A child process with its output in a log file; stopped (or killed) by its owner."""

    def __init__(self, command: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._output = log.open("w")
        self.popen = subprocess.Popen(
            command,
            env={**os.environ, **env},
            cwd=log.parent,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, *, kill: bool = False) -> None:
        if self.alive():
            (self.popen.kill if kill else self.popen.terminate)()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=20)
        self._output.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(
    ready: Callable[[], bool], what: str, seconds: float = 60, process: Process | None = None
) -> None:
    """Wait for `ready()`, failing after `seconds`, and at once if `process` exits."""
    deadline = time.monotonic() + seconds
    while not ready():
        if process is not None and not process.alive():
            raise RuntimeError(f"{what}: it exited\n{process.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {seconds} s")
        time.sleep(0.2)


def web_process(
    env: Mapping[str, str],
    log: Path,
    checkout: Path,
    *,
    workers: int = 1,
    threads: int = 100,
    app: str = "wsgi:app",
    ready_path: str = "/api/v1/openapi.json",
) -> tuple[Process, str]:
    """gunicorn on `app` (wsgi:app, as the README runs it); returns it and its base URL once
    `ready_path` answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}",
        "--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
        "--chdir", str(checkout), app,
    ]  # fmt: skip
    process = Process(command, env, log)
    base = f"http://{HOST}:{port}"
    wait_until(lambda: _answers(base + ready_path), f"gunicorn ({log.name})", process=process)
    return process, base


def worker_process(env: Mapping[str, str], log: Path) -> Process:
    """`consult worker`, started and waiting for jobs."""
    process = Process([sys.executable, "-m", "consult", "worker"], env, log)
    ready = lambda: "waiting for analyses" in process.output()  # noqa: E731 -- one use
    wait_until(ready, "consult worker", process=process)
    return process


def cpu_seconds(process: Process) -> float:
    """CPU time (user + system) of `process` and its children (gunicorn's worker), so far."""
    total = 0.0
    pids = [process.popen.pid]
    while pids:
        pid = pids.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:  # gone meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        pids.extend(int(child) for child in children)
    return total


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False
