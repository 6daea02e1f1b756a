"""Replaying a conversation's votes in time order, one update at a time, as it was lived.

Polis grouped a conversation while it ran: every update started from the last one, so
the groups it published depend on the order and timing of the votes, not only on the
final votes. `replay` feeds the votes to the math in time-ordered batches (one update
per `every` of vote time), each update warm-started from the one before, and returns the
analysis of the last update.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import scipy.sparse as sp

from clustering.analysis import Analysis, analyze, find_groups
from clustering.matrix import VoteMatrix, cell_rows, from_records


def replay(
    records: Iterable[tuple[Hashable, Hashable, int, float]],
    *,
    every: float,
    statement_ids: Iterable[Hashable] | None = None,
    moderated_out: Iterable[Hashable] = (),
    meta: Iterable[Hashable] = (),
    profile: str = "polis",
    random_state: int = 0,
) -> Analysis:
    """Analyse the conversation as its updates would have: batch after batch of votes.

    Parameters
    ----------
    records : iterable of (participant, statement, vote, timestamp)
    every : float
        Vote time covered by one update, in the unit of the timestamps: a batch starts
        with the first vote after the last batch and takes every vote up to `every` later.
    statement_ids, moderated_out, meta, profile, random_state
        As for `analyze`.
    """
    rows = sorted(records, key=lambda record: record[3])
    statement_ids = list(statement_ids) if statement_ids is not None else None
    moderated_out, meta = list(moderated_out), list(meta)
    history = _History(rows, statement_ids)
    ends = batch_ends([record[3] for record in rows], every)
    # Every prefix has the final matrix's columns: which are left out is known once.
    left_out = history.full.statements_in(moderated_out), history.full.statements_in(meta)
    state: dict | None = None
    for end in ends[:-1]:
        state = _update(history.until(end), *left_out, profile, state, random_state)
    return analyze(
        history.full,
        moderated_out=moderated_out,
        meta=meta,
        previous=Analysis.carrying(state, profile) if state is not None else None,
        profile=profile,
        random_state=random_state,
    )


def batch_ends(timestamps: list[float], every: float) -> list[int]:
    """End index (exclusive) of each batch of time-sorted votes."""
    ends, start = [], None
    for i, t in enumerate(timestamps):
        if start is None or t > start + every:
            if start is not None:
                ends.append(i)
            start = t
    if timestamps:
        ends.append(len(timestamps))
    return ends


def _update(matrix: VoteMatrix, moderated, is_meta, profile, state, random_state) -> dict:
    """One update's grouping alone (no reports, no claims): what the next update starts from."""
    found = find_groups(
        matrix, moderated, is_meta, profile, state, random_state, {}, with_claims=False
    )
    return found.state


class _History:
    """The vote matrix after each prefix of the time-sorted votes, without rebuilding it.

    Every record is placed once in the final matrix's layout; a prefix is the cells its
    records reached, each holding the latest of them, and the participants who voted.
    """

    def __init__(self, rows: list[tuple], statement_ids: list | None) -> None:
        participants, statements, values, times = (
            zip(*rows, strict=True) if rows else ([], [], [], [])
        )
        self.full = from_records(
            participants, statements, values, times, statement_ids=statement_ids
        )
        votes = self.full.votes
        n_columns = max(votes.shape[1], 1)
        row_of = {p: r for r, p in enumerate(self.full.participant_ids.tolist())}
        record_rows = np.array(
            [row_of[p] for p in np.asarray(participants).tolist()], dtype=np.int64
        )
        record_columns = np.searchsorted(self.full.statement_ids, np.asarray(statements))
        self.cell_rows = cell_rows(votes)
        cell_keys = self.cell_rows * n_columns + votes.indices
        self.cell_of_record = np.searchsorted(cell_keys, record_rows * n_columns + record_columns)
        self.values = np.asarray(values, dtype=np.int8)
        self.cells = np.zeros(votes.nnz, dtype=np.int8)
        self.reached = np.zeros(votes.nnz, dtype=bool)
        self.applied = 0

    def until(self, end: int) -> VoteMatrix:
        """The matrix of the first `end` records (ends must not decrease between calls)."""
        batch = slice(self.applied, end)
        cells = self.cell_of_record[batch]
        # The latest record of a cell wins: keep each cell's last occurrence in the batch.
        _, last = np.unique(cells[::-1], return_index=True)
        keep = len(cells) - 1 - last
        self.cells[cells[keep]] = self.values[batch][keep]
        self.reached[cells] = True
        self.applied = end
        per_row = np.bincount(self.cell_rows[self.reached], minlength=self.full.shape[0])
        present = per_row > 0
        indptr = np.concatenate([[0], np.cumsum(per_row[present])])
        votes = sp.csr_matrix(
            (self.cells[self.reached], self.full.votes.indices[self.reached], indptr),
            shape=(int(present.sum()), self.full.shape[1]),
        )
        return VoteMatrix(votes, self.full.participant_ids[present], self.full.statement_ids)
