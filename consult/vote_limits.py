"""The vote limits, counted in the process and added to Redis in batches.

Votes are the one hot path. Flask-Limiter counts each window of each limit with a Redis
round trip of its own, three per vote with the default settings; with a hundred threads
per process every round trip also hands the GIL back and forth, and together they cost
a web process about a quarter more CPU per vote (`python -m consult.bench.vote_load`).
So the vote routes count here, with the same settings and the same 429, and every other
limit stays with Flask-Limiter (rate_limits):

- Windows are fixed and aligned to the clock (a minute's window starts on the minute),
  so every process names the same window the same way without asking.
- Each process adds its counts to Redis every FLUSH_SECONDS in one script call and reads
  the totals back. A key within a tenth of its allowance of unsent votes is sent at once,
  with the vote that reached it, and judged on the exact total; a key already over its
  allowance here is over everywhere. Across P processes a burst can therefore pass a
  limit by at most P tenths of its allowance, for at most FLUSH_SECONDS.
- Without Redis (the embedded tier, one process) the `limits` library counts in memory,
  exactly, as Flask-Limiter's memory storage does.
- Redis unreachable: the votes go through unlimited, as Flask-Limiter's swallow_errors.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.1
_QUIET_SECONDS = 60.0  # an unreachable Redis is logged at most this often

# KEYS: counters; ARGV: for each, the votes to add and the seconds it lives, in pairs.
# Returns each counter's total.
_ADD_COUNTS = """
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
  if totals[i] == tonumber(ARGV[2 * i - 1]) then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return totals
"""

Windows = list[tuple[str, RateLimitItem]]  # (whose counter, which window)


class VoteLimitReached(Exception):
    """A vote over its limits; answered 429 with Retry-After (consult.errors)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"vote limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class VoteLimits:
    """The windows of the two vote limits, and what counts them."""

    per_participant: list[RateLimitItem]
    per_address: list[RateLimitItem]
    count: Callable[[Windows], int]  # counts one vote; 0, or seconds until it may retry

    def check(self, participant_key: str, address: str) -> None:
        """Count this vote in every window; raise VoteLimitReached if one is over."""
        windows = [(f"address:{address}", w) for w in self.per_address]
        if participant_key:  # a page's first vote has no participant yet
            windows += [(participant_key, w) for w in self.per_participant]
        wait = self.count(windows)
        if wait:
            raise VoteLimitReached(wait)


def vote_limits(app: Flask) -> VoteLimits:
    """The vote limits of this app's settings, shared through Redis if it has one."""
    config = app.config
    url = config["CONSULT_REDIS_URL"]
    if url:
        redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        prefix = f"consult-votes:{config.get('RATELIMIT_KEY_PREFIX', '')}"
        count = BatchedCounts(redis.register_script(_ADD_COUNTS), prefix).count
    else:
        count = _memory_counter()
    return VoteLimits(
        per_participant=parse_many(config["CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT"]),
        per_address=parse_many(config["CONSULT_RATELIMIT_VOTES_PER_IP"]),
        count=count,
    )


@dataclass
class _Counter:
    allowance: int
    seconds: int
    ends_at: float  # when its window ends
    unsent: int = 0  # counted here, not yet in Redis
    known: int = 0  # the total in Redis when last heard

    def is_close_to_its_allowance(self) -> bool:
        """A tenth of the allowance unsent, or a tenth from the end of it, and not over yet:
        such a count is sent with its vote and judged on the exact total."""
        margin = max(1, self.allowance // 10)
        total = self.known + self.unsent
        near = self.unsent >= margin or total > self.allowance - margin
        return near and total <= self.allowance


class BatchedCounts:
    """Fixed windows counted in this process and added to Redis in batches."""

    def __init__(self, add_counts: Script, prefix: str, flush_every: float = FLUSH_SECONDS) -> None:
        self._add_counts = add_counts
        self._prefix = prefix
        self._flush_every = flush_every
        self._lock = threading.Lock()
        self._counters: dict[str, _Counter] = {}
        self._flusher: threading.Thread | None = None
        self._flusher_pid = 0
        self._last_complaint = -_QUIET_SECONDS

    def count(self, windows: Windows) -> int:
        now = time.time()
        counters, urgent = [], {}
        with self._lock:
            for who, window in windows:
                key, counter = self._counter(who, window, now)
                counter.unsent += 1
                counters.append(counter)
                if counter.is_close_to_its_allowance():
                    urgent[key] = counter
        self._keep_flushing()
        if urgent:
            self._send(urgent)
        over = [c for c in counters if c.known + c.unsent > c.allowance]
        return max((max(1, math.ceil(c.ends_at - now)) for c in over), default=0)

    def _counter(self, who: str, window: RateLimitItem, now: float) -> tuple[str, _Counter]:
        seconds = window.get_expiry()
        start = int(now // seconds) * seconds
        key = f"{self._prefix}:{who}:{window.amount}/{seconds}:{start}"
        counter = self._counters.get(key)
        if counter is None:
            counter = _Counter(window.amount, seconds, ends_at=start + seconds)
            self._counters[key] = counter
        return key, counter

    def _send(self, counters: dict[str, _Counter]) -> None:
        """Add these counters' unsent votes to Redis and learn their totals."""
        with self._lock:
            batch = {key: (c, c.unsent) for key, c in counters.items() if c.unsent}
            for counter, _ in batch.values():
                counter.unsent = 0
        if not batch:
            return
        args: list[int] = []
        for counter, unsent in batch.values():
            args += [unsent, counter.seconds + 1]
        try:
            totals = self._add_counts(keys=list(batch), args=args)
        except RedisError:
            self._complain()
            return  # those votes go uncounted: unlimited while Redis is away
        with self._lock:
            for (counter, _), total in zip(batch.values(), totals, strict=True):
                counter.known = max(counter.known, int(total))

    def _keep_flushing(self) -> None:
        # Started on first use, and again in a forked child (threads do not survive a fork).
        if self._flusher is not None and self._flusher_pid == os.getpid():
            return
        with self._lock:
            if self._flusher is not None and self._flusher_pid == os.getpid():
                return
            self._flusher_pid = os.getpid()
            self._flusher = threading.Thread(target=self._flush_forever, daemon=True)
            self._flusher.start()

    def flush(self) -> None:
        """Send every unsent count (the background thread's job, every `flush_every` s)."""
        now = time.time()
        with self._lock:
            # Ended windows are forgotten: memory follows the active voters.
            self._counters = {k: c for k, c in self._counters.items() if c.ends_at > now}
            pending = {k: c for k, c in self._counters.items() if c.unsent}
        self._send(pending)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self._flush_every)
            self.flush()

    def _complain(self) -> None:
        if time.monotonic() - self._last_complaint >= _QUIET_SECONDS:
            self._last_complaint = time.monotonic()
            log.warning("vote limits not shared: Redis unreachable", exc_info=True)


def hit_every_window(limiter: RateLimiter, scope: str, windows: Windows) -> int:
    """Count one hit in every window (all of them, not up to the first one over); 0 if
    every window still allows it, else the seconds until the furthest one resets."""
    within = [limiter.hit(window, scope, who) for who, window in windows]
    resets = [
        limiter.get_window_stats(window, scope, who).reset_time
        for (who, window), ok in zip(windows, within, strict=True)
        if not ok
    ]
    return max(1, int(max(resets) - time.time())) if resets else 0


def _memory_counter() -> Callable[[Windows], int]:
    limiter = FixedWindowRateLimiter(MemoryStorage())
    return lambda windows: hit_every_window(limiter, "votes", windows)
