"""The debounced recomputation (DESIGN.md §1): when, where and how often analyses run.

One job function, `run_once`, analyses one consultation and tells its rooms. Two ways to
call it:

- embedded tier (`consult serve`, no Redis): `EmbeddedRunner`, a thread in the serving
  process with the consultations waiting in memory;
- production tier: web processes put jobs on an RQ queue in Redis (`QueueDispatcher`) and
  `consult worker` processes run them (`run_worker`).

Either way a consultation is analysed at most once per debounce window, and once more after
its last change. On the queue, a Redis key coalesces requests (at most one job waits per
consultation) and a Redis lock lets one worker at a time run it. Nothing depends on a job
surviving: a sweep finds every consultation whose votes are newer than its latest analysis
(after a worker was killed, say) and asks again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import LockError, RedisError
from rq import Queue, SimpleWorker
from sqlalchemy import select

from consult import live
from consult.coalesce import Coalesced
from consult.extensions import db
from consult.models import Analysis, Conversation, as_utc
from consult.services.analyses import latest_analysis
from consult.services.analysis_runs import is_settled, is_up_to_date, refresh
from consult.services.brigading import forget_old_addresses
from consult.services.changes import LISTENER
from consult.services.vote_memory import VoteMemory

log = logging.getLogger(__name__)

QUEUE_NAME = "consult-analysis"
PENDING_SECONDS = 15  # a waiting job's key expires, so a lost job cannot block a conversation
LOCK_SECONDS = 20  # a killed worker's lock is free again after this
SWEEP_SECONDS = 5.0
TELL_EVERY = 0.25  # seconds; well inside the debounce window (CONSULT_ANALYSIS_DEBOUNCE)
FORGET_ADDRESSES_EVERY = 3600.0  # seconds; the retention is counted in days
_last_forgetting = -FORGET_ADDRESSES_EVERY


def init_app(app: Flask) -> None:
    """Route the services' change notices to the runner this tier uses."""
    mode = app.config["CONSULT_ANALYSIS"]
    if mode == "thread":
        runner = EmbeddedRunner(app)
        app.extensions["consult.runner"] = runner
        app.extensions[LISTENER] = runner.request
        app.before_request(runner.start)
    elif mode == "queue":
        # Short timeouts: a vote is committed before this runs and must not hang on Redis.
        redis = Redis.from_url(
            app.config["CONSULT_REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
        )
        dispatcher = QueueDispatcher(redis)
        app.extensions[LISTENER] = dispatcher.request
    elif mode != "off":
        raise ValueError(f"CONSULT_ANALYSIS must be thread, queue or off, not {mode!r}")


def run_once(
    app: Flask, conversation_id: str, memory: VoteMemory, *, announce_unchanged: bool = False
) -> Analysis | None:
    """The job: analyse one consultation if it changed, store it, tell its rooms.

    `announce_unchanged` (the production tier's worker): when nothing changed, tell the
    rooms the latest analysis again. A worker killed after storing an analysis and before
    telling anyone would leave every open page a version behind until the next vote; the
    next job for the consultation (one queued while the killed job ran) finds nothing new,
    and makes the announcement instead. Telling a room a version it has is harmless.
    """
    with app.app_context():
        try:
            stored = refresh(
                conversation_id,
                memory,
                cold_every=_cold_every(),
                settle_after=_settle_after(),
            )
            conversation = db.session.get(Conversation, conversation_id)
            announced = stored
            if announced is None and announce_unchanged and conversation is not None:
                announced = latest_analysis(conversation)
            if announced is not None:
                live.publish_analysis(conversation, announced)
                live.publish_stats(conversation)
            return stored
        except Exception:
            # A failed run must not stop the runner; the sweep tries the conversation again.
            log.exception("analysis of %s failed", conversation_id)
            db.session.rollback()
            return None
        finally:
            db.session.remove()


def sweep() -> list[str]:
    """Each sweep: forget expired address hashes (hourly), then find what needs analysing."""
    global _last_forgetting
    if time.monotonic() - _last_forgetting >= FORGET_ADDRESSES_EVERY:
        forget_old_addresses(current_app.config["CONSULT_ADDRESS_HASH_DAYS"])
        _last_forgetting = time.monotonic()
    return changed_conversations()


def changed_conversations() -> list[str]:
    """Consultations whose latest analysis misses votes or changes, or is a warm one that
    stood long enough to be analysed again cold (the sweep's question)."""
    found = []
    settle_after, cold_every = _settle_after(), _cold_every()
    for conversation in db.session.scalars(select(Conversation)):
        latest = latest_analysis(conversation)
        if not is_up_to_date(conversation, latest) or not is_settled(
            latest, settle_after, cold_every
        ):
            found.append(conversation.id)
    return found


def _settle_after() -> timedelta:
    return timedelta(seconds=current_app.config["CONSULT_ANALYSIS_SETTLE_AFTER"])


def _cold_every() -> timedelta:
    return timedelta(seconds=current_app.config["CONSULT_ANALYSIS_COLD_EVERY"])


def seconds_since_last_analysis(conversation_id: str) -> float | None:
    created = db.session.scalar(
        select(Analysis.created_at)
        .where(Analysis.conversation_id == conversation_id)
        .order_by(Analysis.version.desc())
        .limit(1)
    )
    return None if created is None else time.time() - as_utc(created).timestamp()


class EmbeddedRunner:
    """A thread in the serving process: consultations wait in memory, one runs at a time."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._debounce = float(app.config["CONSULT_ANALYSIS_DEBOUNCE"])
        self._memory = VoteMemory()
        self._waiting: dict[str, float] = {}  # conversation id -> when it may run
        self._last_run: dict[str, float] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def request(self, conversation_id: str) -> None:
        """Something changed: analyse once the debounce window since the last run is over."""
        with self._wake:
            if conversation_id not in self._waiting:
                ready_at = self._last_run.get(conversation_id, 0.0) + self._debounce
                self._waiting[conversation_id] = max(time.monotonic(), ready_at)
                self._wake.notify()

    def start(self) -> None:
        """Start the thread in this process (once; called before each request, so after fork)."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._wake:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="consult-analysis", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        next_sweep = time.monotonic()
        while True:
            conversation_id = self._next_due(next_sweep)
            if self._stopping:
                return
            if conversation_id is None:  # time to sweep
                next_sweep = time.monotonic() + SWEEP_SECONDS
                for changed in self._sweep():
                    self.request(changed)
            else:
                run_once(self._app, conversation_id, self._memory)

    def _next_due(self, next_sweep: float) -> str | None:
        """Wait for the next consultation whose window is over; None when a sweep is due."""
        with self._wake:
            while not self._stopping:
                now = time.monotonic()
                if now >= next_sweep:
                    return None
                due = min(self._waiting, key=self._waiting.__getitem__, default=None)
                if due is not None and self._waiting[due] <= now:
                    del self._waiting[due]
                    self._last_run[due] = now
                    return due
                until = next_sweep if due is None else min(next_sweep, self._waiting[due])
                self._wake.wait(until - now)
            return None

    def _sweep(self) -> list[str]:
        with self._app.app_context():
            try:
                return sweep()
            except Exception:
                log.exception("the sweep for changed consultations failed")
                return []
            finally:
                db.session.remove()


def _pending_key(conversation_id: str) -> str:
    return f"consult:analysis:pending:{conversation_id}"


def _lock_key(conversation_id: str) -> str:
    return f"consult:analysis:running:{conversation_id}"


class QueueDispatcher:
    """The web side of the production tier: a change puts one job on the queue, not one per vote.

    A process asks Redis at most once per TELL_EVERY seconds per consultation (the last
    change still told at the end of it): a round trip per vote would cost as much CPU as
    the vote's own rate limits, for a message that only needs to arrive once per window.
    """

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._queue = Queue(QUEUE_NAME, connection=redis)
        self.request = Coalesced(TELL_EVERY, self._queue_job)

    def _queue_job(self, conversation_id: str) -> None:
        try:
            if self._redis.set(_pending_key(conversation_id), "1", nx=True, ex=PENDING_SECONDS):
                self._queue.enqueue(
                    analysis_job,
                    conversation_id,
                    result_ttl=0,
                    failure_ttl=3600,
                    job_timeout=600,
                    description=f"analysis of {conversation_id}",
                )
        except RedisError:
            # The vote is committed and acknowledged; the workers' sweep will see it.
            log.warning("could not queue the analysis of %s", conversation_id, exc_info=True)


_worker: dict[str, Any] = {}  # what `consult worker` set up in this process


def analysis_job(conversation_id: str) -> None:
    """The RQ job: under the conversation's lock, wait out the debounce window, then run."""
    app: Flask = _worker["app"]
    redis: Redis = _worker["redis"]
    # Not thread-local: the keep-alive thread extends the lock this thread holds.
    lock = redis.lock(_lock_key(conversation_id), timeout=LOCK_SECONDS, thread_local=False)
    lock.acquire()
    try:
        with _kept_alive(lock):
            # From here on, a new change queues a new job, which waits for this lock.
            redis.delete(_pending_key(conversation_id))
            with app.app_context():
                since = seconds_since_last_analysis(conversation_id)
                db.session.remove()
            debounce = float(app.config["CONSULT_ANALYSIS_DEBOUNCE"])
            if since is not None and since < debounce:
                time.sleep(debounce - since)
            run_once(app, conversation_id, _worker["memory"], announce_unchanged=True)
    finally:
        try:
            lock.release()
        except LockError:
            # It lapsed (Redis unreachable for a while): the stored version is still unique.
            log.warning("the analysis lock of %s had lapsed", conversation_id)


class _kept_alive:  # noqa: N801 -- used as a context manager, named like one
    """Extend a Redis lock while the work under it runs, so only a dead worker loses it."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._extend, daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _extend(self) -> None:
        while not self._done.wait(LOCK_SECONDS / 4):
            try:
                self._lock.reacquire()
            except Exception:
                log.warning("could not extend the analysis lock", exc_info=True)
                return


def run_worker(
    app: Flask, *, burst: bool = False, on_ready: Callable[[], None] | None = None
) -> None:
    """`consult worker`: run analysis jobs from the queue, and sweep for missed changes."""
    redis = Redis.from_url(app.config["CONSULT_REDIS_URL"])
    _worker.update(app=app, redis=redis, memory=VoteMemory())
    dispatcher = QueueDispatcher(redis)
    stop = threading.Event()

    def sweep_forever() -> None:
        while True:
            with app.app_context():
                try:
                    for conversation_id in sweep():
                        dispatcher.request(conversation_id)
                except Exception:
                    log.exception("the sweep for changed consultations failed")
                finally:
                    db.session.remove()
            if stop.wait(SWEEP_SECONDS):
                return

    sweeper = threading.Thread(target=sweep_forever, name="consult-sweep", daemon=True)
    sweeper.start()
    if on_ready:
        on_ready()
    try:
        SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis).work(burst=burst)
    finally:
        stop.set()
