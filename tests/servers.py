"""Real server processes for tests: gunicorn web processes and `consult worker`s."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

REPOSITORY = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A child process whose output goes to a log file, stopped (or killed) by the test."""

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

    def stop(self, *, kill: bool = False) -> None:
        if self.popen.poll() is None:
            (self.popen.kill if kill else self.popen.terminate)()
            self.popen.wait(timeout=30)
        self._output.close()

    def output(self) -> str:
        return self.log.read_text()


def web_process(
    env: Mapping[str, str], log: Path, *, workers: int = 1, threads: int = 100
) -> tuple[Process, str]:
    """gunicorn on wsgi:app, the production entry point; returns it and its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
        "--chdir", str(REPOSITORY), "wsgi:app",
    ]  # fmt: skip
    process = Process(command, env, log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/api/v1/openapi.json", timeout=10)
            return process, base
        except (requests.ConnectionError, requests.Timeout):
            assert process.popen.poll() is None, process.output()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)


def worker_process(env: Mapping[str, str], log: Path) -> Process:
    """`consult worker`, started and waiting for jobs."""
    process = Process([sys.executable, "-m", "consult", "worker"], env, log)
    deadline = time.monotonic() + 60
    while "waiting for analyses" not in process.output():
        assert process.popen.poll() is None, process.output()
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.2)
    return process
