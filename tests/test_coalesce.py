"""Coalesced calls: the first goes through at once, a burst becomes one trailing call."""

from __future__ import annotations

import threading
import time

from consult.coalesce import Coalesced


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self.changed = threading.Condition()

    def __call__(self, key: str) -> None:
        with self.changed:
            self.calls.append((key, time.monotonic()))
            self.changed.notify_all()

    def wait_for(self, n: int, seconds: float = 10) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.calls) >= n, seconds)


def test_a_quiet_key_is_called_at_once():
    record = Recorder()
    Coalesced(60, record)("a")
    assert [key for key, _ in record.calls] == ["a"]


def test_a_burst_is_one_call_now_and_one_at_the_end_of_the_interval():
    record = Recorder()
    tell = Coalesced(1.0, record)
    for _ in range(50):
        tell("a")
    last_call = time.monotonic()
    record.wait_for(2)
    time.sleep(1.2)  # nothing more comes: the burst is over
    assert [key for key, _ in record.calls] == ["a", "a"]
    first, trailing = (at for _, at in record.calls)
    assert trailing >= last_call  # the burst's last change is told after it happened
    assert trailing - first >= 0.99


def test_keys_are_coalesced_separately():
    record = Recorder()
    tell = Coalesced(60, record)
    for key in ("a", "b", "a", "c", "b"):
        tell(key)
    assert [key for key, _ in record.calls] == ["a", "b", "c"]


def test_a_key_quiet_for_an_interval_is_called_at_once_again():
    record = Recorder()
    tell = Coalesced(0.1, record)
    tell("a")
    time.sleep(0.15)
    tell("a")
    assert [key for key, _ in record.calls] == ["a", "a"]
