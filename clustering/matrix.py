"""The sparse participants × statements vote matrix (DESIGN.md §4 step 1)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


@dataclass(frozen=True)
class VoteMatrix:
    """Latest vote per participant and statement, kept sparse.

    Attributes
    ----------
    votes : csr_matrix of shape (n_participants, n_statements), dtype int8
        +1 agree, -1 disagree, 0 pass. A pass is an *explicitly stored* zero: the sparsity
        structure says who voted, the values say how. Never call `eliminate_zeros` on it.
    participant_ids : ndarray of shape (n_participants,)
        The caller's participant id of each row, in order of first vote.
    statement_ids : ndarray of shape (n_statements,)
        The caller's statement id of each column, sorted.
    """

    votes: sp.csr_matrix
    participant_ids: NDArray
    statement_ids: NDArray

    @property
    def shape(self) -> tuple[int, int]:
        return self.votes.shape

    @property
    def n_votes(self) -> NDArray[np.int64]:
        """Votes (passes included) cast by each participant."""
        return np.diff(self.votes.indptr).astype(np.int64)

    def statements_in(self, chosen: Iterable[Hashable]) -> NDArray[np.bool_]:
        """Which columns are among the chosen statement ids."""
        chosen = set(chosen)
        return np.array([plain(s) in chosen for s in self.statement_ids], dtype=bool)

    def counts_by_value(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Agrees, disagrees and passes per statement, each of shape (n_statements,)."""
        coo = self.votes.tocoo()
        n = self.shape[1]
        agree = np.bincount(coo.col[coo.data > 0], minlength=n)
        disagree = np.bincount(coo.col[coo.data < 0], minlength=n)
        passes = np.bincount(coo.col[coo.data == 0], minlength=n)
        return agree, disagree, passes


def plain(value: Hashable) -> Hashable:
    """An id as Python has it (a numpy scalar becomes int, str...), for JSON and dict keys."""
    return value.item() if isinstance(value, np.generic) else value


def sortable(ids: NDArray) -> NDArray:
    """The ids, or their text when ids of mixed types cannot be ordered among themselves."""
    if ids.dtype != object:
        return ids
    try:
        sorted(ids.tolist())
    except TypeError:
        return ids.astype(str)
    return ids


def cell_rows(matrix: sp.csr_matrix) -> NDArray[np.int64]:
    """The row of each stored cell of a CSR matrix, in storage order."""
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def indicator(votes: sp.csr_matrix, keep: NDArray[np.bool_]) -> sp.csr_matrix:
    """1.0 on the stored cells where `keep` (a mask over `votes.data`) holds.

    The index arrays are copied: `eliminate_zeros` works in place and would otherwise
    corrupt the vote matrix that shares them.
    """
    matrix = sp.csr_matrix(
        (keep.astype(np.float64), votes.indices.copy(), votes.indptr.copy()), shape=votes.shape
    )
    matrix.eliminate_zeros()
    return matrix


def from_records(
    participants: Sequence[Hashable] | NDArray,
    statements: Sequence[Hashable] | NDArray,
    values: Sequence[int] | NDArray,
    timestamps: Sequence[float] | NDArray | None = None,
    *,
    statement_ids: Iterable[Hashable] | None = None,
) -> VoteMatrix:
    """Build the matrix from vote records; the latest vote of a pair wins.

    Parameters
    ----------
    participants, statements, values : array-like of shape (n_records,)
        Who voted, on what, and how (+1, -1, 0).
    timestamps : array-like of shape (n_records,), optional
        When; records are taken in this order (stable), else in the order given.
    statement_ids : iterable, optional
        All statements of the conversation, so that ones nobody voted on get a column.
    """
    participants = np.asarray(participants)
    statements = np.asarray(statements)
    values = np.asarray(values, dtype=np.int64)
    if not (len(participants) == len(statements) == len(values)):
        raise ValueError("participants, statements and values must have the same length")
    if values.size and not np.isin(values, (-1, 0, 1)).all():
        raise ValueError("votes must be -1, 0 or +1")
    if timestamps is not None:
        timestamps = np.asarray(timestamps)
        if np.any(timestamps[1:] < timestamps[:-1]):  # most callers pass them in order already
            order = np.argsort(timestamps, kind="stable")
            participants, statements, values = participants[order], statements[order], values[order]

    # Rows in order of first vote (as Polis numbers participants); columns sorted.
    row_ids, first_seen, rows = np.unique(participants, return_index=True, return_inverse=True)
    by_first_vote = np.argsort(first_seen, kind="stable")
    rank = np.empty_like(by_first_vote)
    rank[by_first_vote] = np.arange(len(by_first_vote))
    rows = rank[rows]
    row_ids = row_ids[by_first_vote]
    if statement_ids is None:
        all_statements = statements
    else:
        given = np.asarray(list(statement_ids), dtype=statements.dtype if statements.size else None)
        all_statements = np.concatenate([statements, given])
    col_ids = np.unique(all_statements)
    cols = np.searchsorted(col_ids, statements)
    return _latest_votes(rows, cols, values, row_ids, col_ids)


def from_dense(
    dense: NDArray, participant_ids: Sequence | None = None, statement_ids: Sequence | None = None
) -> VoteMatrix:
    """A matrix from a small dense array with NaN for 'no vote' (tests and examples)."""
    dense = np.asarray(dense, dtype=float)
    rows, cols = np.nonzero(~np.isnan(dense))
    values = dense[rows, cols].astype(np.int64)
    n, m = dense.shape
    return _latest_votes(
        rows,
        cols,
        values,
        np.asarray(participant_ids if participant_ids is not None else np.arange(n)),
        np.asarray(statement_ids if statement_ids is not None else np.arange(m)),
    )


def _latest_votes(
    rows: NDArray, cols: NDArray, values: NDArray, row_ids: NDArray, col_ids: NDArray
) -> VoteMatrix:
    shape = (len(row_ids), len(col_ids))
    # Keep the last record of each (row, col): stable sort by key, take the last of each run.
    key = rows.astype(np.int64) * max(shape[1], 1) + cols
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    last = np.ones(len(key_sorted), dtype=bool)
    last[:-1] = key_sorted[1:] != key_sorted[:-1]
    keep = order[last]
    r, c, v = rows[keep], cols[keep], values[keep].astype(np.int8)
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.add.at(indptr, r + 1, 1)
    indptr = np.cumsum(indptr)
    # keep is sorted by (row, col) already, so data and indices are in CSR order.
    votes = sp.csr_matrix((v, c.astype(np.int32), indptr), shape=shape)
    return VoteMatrix(votes=votes, participant_ids=row_ids, statement_ids=col_ids)
