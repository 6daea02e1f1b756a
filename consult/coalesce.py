"""Calls coalesced per key: at most one per interval, and never the last one dropped.

The web processes tell the analysis queue of every committed vote; at hundreds of votes a
second that is a Redis round trip per vote for a message that only needs to arrive once
per debounce window. A `Coalesced` call goes through at once if the key has been quiet for
the interval; otherwise it is made once at the end of the interval (trailing), so a change
after the last call through is still told, at most `interval` seconds late.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


class Coalesced(Generic[Key]):
    """`action(key)` at most once per `interval` seconds per key, in this process."""

    def __init__(self, interval: float, action: Callable[[Key], None]) -> None:
        self._interval = interval
        self._action = action
        self._lock = threading.Lock()
        self._last_call: dict[Key, float] = {}
        self._trailing: set[Key] = set()

    def __call__(self, key: Key) -> None:
        with self._lock:
            if key in self._trailing:
                return  # a call is already due at the end of the interval
            now = time.monotonic()
            quiet_until = self._last_call.get(key, -self._interval) + self._interval
            if now < quiet_until:
                self._trailing.add(key)
                timer = threading.Timer(quiet_until - now, self._call_trailing, (key,))
                timer.daemon = True
                timer.start()
                return
            self._forget_quiet_keys(now)
            self._last_call[key] = now
        self._action(key)

    def _call_trailing(self, key: Key) -> None:
        with self._lock:
            self._trailing.discard(key)
            self._last_call[key] = time.monotonic()
        self._action(key)

    def _forget_quiet_keys(self, now: float) -> None:
        # Keys quiet for an interval behave as unseen, so the memory stays bounded.
        if len(self._last_call) > 1000:
            self._last_call = {k: t for k, t in self._last_call.items() if now - t < self._interval}
