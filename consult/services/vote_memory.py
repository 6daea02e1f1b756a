"""The current votes of busy consultations, kept in memory between analyses.

A runner reads a consultation's votes once, then only the votes changed since its last
read, instead of every vote on every update. The `votes` table is the truth (one current
vote per participant and statement); its `updated_at` says what changed. A write is stamped
before it commits, so each read looks back `LOOKBACK` further than the last one: a vote
whose transaction took longer than that to commit is picked up by the next full read (every
cold analysis). Reading a vote twice is harmless: the latest record of a pair wins.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, cast, func, select

from clustering.matrix import VoteMatrix, from_records
from consult.extensions import db
from consult.models import Vote

LOOKBACK = timedelta(seconds=30)


@dataclass
class _Votes:
    participants: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    statements: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    values: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    times: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0, np.float64))
    read_up_to: float | None = None  # the latest vote time seen, seconds since the epoch
    compacted_size: int = 0  # records after the last full read or compaction
    # What the next warm update starts from: (analysis version, clustering Analysis).
    previous: tuple[int, Any] | None = None

    def extend(self, rows: list[tuple[int, int, int, float]]) -> None:
        if not rows:
            return
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=4 * len(rows))
        p, s, v, t = flat.reshape(-1, 4).T
        self.participants = np.concatenate([self.participants, p.astype(np.int64)])
        self.statements = np.concatenate([self.statements, s.astype(np.int64)])
        self.values = np.concatenate([self.values, v.astype(np.int8)])
        self.times = np.concatenate([self.times, t.astype(np.float64)])
        latest = float(t.max())
        self.read_up_to = latest if self.read_up_to is None else max(self.read_up_to, latest)


class VoteMemory:
    """Votes and last results of up to `capacity` consultations, least recently used dropped."""

    def __init__(self, capacity: int = 32) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Votes] = OrderedDict()

    def matrix(
        self,
        conversation_id: str,
        statement_ids: list[int],
        *,
        reread: bool,
        excluded: list[int] | None = None,
    ) -> VoteMatrix:
        """The conversation's current votes as a matrix; `reread` reads every vote afresh.

        Participants in `excluded` (left out by a facilitator) stay in memory, not in the matrix.
        """
        entry = self._entry(conversation_id, fresh=reread)
        since = None if entry.read_up_to is None else entry.read_up_to - LOOKBACK.total_seconds()
        entry.extend(_read_votes(conversation_id, since))
        if reread or len(entry.values) > 2 * entry.compacted_size + 10_000:
            # Re-reads pile up between cold analyses; keep one record per cell.
            compact = _compact(entry)
            entry.participants, entry.statements, entry.values, entry.times = compact
            entry.compacted_size = len(entry.values)
        kept = slice(None) if not excluded else ~np.isin(entry.participants, excluded)
        return from_records(
            entry.participants[kept],
            entry.statements[kept],
            entry.values[kept],
            entry.times[kept],
            statement_ids=np.asarray(statement_ids, dtype=np.int64),
        )

    def previous(self, conversation_id: str) -> tuple[int, Any] | None:
        entry = self._entries.get(conversation_id)
        return entry.previous if entry else None

    def remember(self, conversation_id: str, version: int, analysis: Any) -> None:
        self._entry(conversation_id, fresh=False).previous = (version, analysis)

    def _entry(self, conversation_id: str, *, fresh: bool) -> _Votes:
        entry = self._entries.pop(conversation_id, None)
        if entry is None or fresh:
            entry = _Votes(previous=entry.previous if entry else None)
        self._entries[conversation_id] = entry
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return entry


def _read_votes(conversation_id: str, since: float | None) -> list[tuple[int, int, int, float]]:
    query = select(
        Vote.participant_id, Vote.statement_id, Vote.value, _epoch_seconds(Vote.updated_at)
    ).where(Vote.conversation_id == conversation_id)
    if since is not None:
        # The column itself, so that the (conversation_id, updated_at) index serves.
        query = query.where(Vote.updated_at >= datetime.fromtimestamp(since, UTC))
    # Plain numbers straight from the driver's cursor: a cold read is millions of rows, and
    # building a Row object for each costs more than the query.
    return db.session.connection().execute(query).cursor.fetchall()


def _epoch_seconds(column: Any) -> Any:
    """Seconds since 1970 computed by the database, not by Python for each of a million rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * 86400.0


def _compact(entry: _Votes) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    order = np.argsort(entry.times, kind="stable")
    key = (entry.participants * (1 << 32) + entry.statements)[order]
    # The last record of each cell in time order.
    _, last_from_end = np.unique(key[::-1], return_index=True)
    keep = np.sort(order[len(key) - 1 - last_from_end])
    return entry.participants[keep], entry.statements[keep], entry.values[keep], entry.times[keep]
