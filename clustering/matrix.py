"""The sparse participants × statements vote matrix (DESIGN.md §4 step 1)."""

from __future__ import annotations

import hashlib
import json
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
        return np.array([s in chosen for s in plain_list(self.statement_ids)], dtype=bool)

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


def plain_list(ids: NDArray) -> list[Hashable]:
    """`[plain(i) for i in ids]`; `tolist` does the same in one call unless ids are objects."""
    return ids.tolist() if ids.dtype != object else [plain(i) for i in ids]


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


def rows_taken(
    matrix: sp.csr_matrix, rows: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray, NDArray]:
    """(indptr, indices, data) of `matrix[rows]`, without building a sparse matrix."""
    counts = np.diff(matrix.indptr)[rows]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    # Cell k of new row r comes from old cell indptr[rows[r]] + (k − new indptr[r]).
    cells = np.repeat(matrix.indptr[rows] - indptr[:-1], counts) + np.arange(indptr[-1])
    return indptr, matrix.indices[cells], matrix.data[cells]


def columns_kept(matrix: sp.csr_matrix, keep: NDArray[np.bool_]) -> sp.csr_matrix:
    """`matrix[:, keep]` for a mask over the columns: the same matrix, cells in their order.

    One pass over the stored cells, where scipy's column indexing maps and copies them in
    several (a tenth of a small analysis's report time).
    """
    stored = keep[matrix.indices]
    # The kept cells before each row's first: the new row pointers.
    before = np.zeros(matrix.nnz + 1, dtype=matrix.indptr.dtype)
    np.cumsum(stored, out=before[1:])
    new_column = (np.cumsum(keep) - 1).astype(matrix.indices.dtype)
    return sp.csr_matrix(
        (matrix.data[stored], new_column[matrix.indices[stored]], before[matrix.indptr]),
        shape=(matrix.shape[0], int(keep.sum())),
    )


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


# Integer ids are numbered through a table of present ids while their span is at most this
# many times their number (plus a floor); beyond, by sorting (`np.unique`).
LOOKUP_SPAN_PER_ID = 4
LOOKUP_SPAN_FLOOR = 1 << 16
RADIX_SORTED = 1 << 16  # up to this many rows and columns, records are sorted as 16-bit keys


def from_records(
    participants: Sequence[Hashable] | NDArray,
    statements: Sequence[Hashable] | NDArray,
    values: Sequence[int] | NDArray,
    timestamps: Sequence[float] | NDArray | None = None,
    *,
    statement_ids: Iterable[Hashable] | None = None,
) -> VoteMatrix:
    """Build the matrix from vote records given as columns; the latest vote of a pair wins.

    The fast way in: numpy arrays (the app's vote memory, `PolisExport.matrix`, the
    benchmarks) are used as they are. With integer ids in a compact span, ids are numbered
    through a table and the records sorted once, by cell, with 16-bit radix sorts; no step
    sorts them by time. Pass the result to `clustering.analysis.analyze`.

    Parameters
    ----------
    participants, statements, values : array-like of shape (n_records,)
        Who voted, on what, and how (+1, -1, 0).
    timestamps : array-like of shape (n_records,), optional
        When (any unit, no NaN); ties and no timestamps go by the order given.
    statement_ids : iterable, optional
        All statements of the conversation, so that ones nobody voted on get a column.

    Returns
    -------
    VoteMatrix
        Rows in order of each participant's first vote (as Polis numbers participants),
        columns in statement id order.
    """
    participants = np.asarray(participants)
    statements = np.asarray(statements)
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    if not (len(participants) == len(statements) == n):
        raise ValueError("participants, statements and values must have the same length")
    if n and (values.min() < -1 or values.max() > 1):
        raise ValueError("votes must be -1, 0 or +1")
    times = _out_of_order_times(timestamps, n)
    given = None
    if statement_ids is not None:
        given = np.asarray(list(statement_ids), dtype=statements.dtype if n else None)

    row_ids, rows = _numbered(participants)
    col_ids, cols = _numbered(statements, also=given)
    # Rows in order of first vote: each participant's earliest record, by (time, place).
    first = _first_record(rows, len(row_ids), times)
    by_first_vote = np.argsort(first) if times is None else np.lexsort((first, times[first]))
    row_ids = row_ids[by_first_vote]
    rows = _inverse(by_first_vote)[rows]

    width = max(len(col_ids), 1)
    order = _by_cell(rows, cols, len(row_ids), width)
    cells, latest = _latest_per_cell(rows * width + cols, order, times)
    rows = cells // width  # each cell's row and column again: % costs three of these
    return _from_cells(rows, cells - rows * width, values[latest], row_ids, col_ids)


def _out_of_order_times(timestamps: Sequence[float] | NDArray | None, n: int) -> NDArray | None:
    """The timestamps, or None when the order given is time order already (most callers)."""
    if timestamps is None:
        return None
    times = np.asarray(timestamps)
    if len(times) != n:
        raise ValueError("timestamps must have one entry per record")
    if times.dtype.kind == "f" and np.isnan(times).any():
        raise ValueError("timestamps must not be NaN")
    return times if np.any(times[1:] < times[:-1]) else None


def _inverse(permutation: NDArray) -> NDArray[np.int64]:
    inverse = np.empty(len(permutation), dtype=np.int64)
    inverse[permutation] = np.arange(len(permutation))
    return inverse


def _numbered(ids: NDArray, also: NDArray | None = None) -> tuple[NDArray, NDArray[np.int64]]:
    """The distinct ids (of `ids` and `also`) sorted, and each of `ids`' place among them.

    Integer ids in a compact span (Polis's, the app's) are numbered through a table of
    present ids, without sorting the records.
    """
    everything = ids if also is None or not also.size else np.concatenate([ids, also])
    if everything.size and everything.dtype.kind in "iu":
        low, high = int(everything.min()), int(everything.max())
        span = high - low + 1
        if span <= LOOKUP_SPAN_PER_ID * len(everything) + LOOKUP_SPAN_FLOOR:
            offsets = (everything - low).astype(np.int64)
            present = np.zeros(span, dtype=bool)
            present[offsets] = True
            distinct = (np.flatnonzero(present) + low).astype(everything.dtype)
            number = np.cumsum(present, dtype=np.int64) - 1
            return distinct, number[offsets[: len(ids)]]
    distinct, inverse = np.unique(everything, return_inverse=True)
    return distinct, inverse[: len(ids)].astype(np.int64)


def _first_record(group: NDArray, n_groups: int, times: NDArray | None) -> NDArray[np.int64]:
    """Each group's earliest record by (time, place given); len(group) for an empty group."""
    n_records = len(group)
    # Two passes over the records instead of sorting them by time: the earliest time of
    # each group, then the first place among the group's records at that time.
    place = np.arange(len(group))
    if times is not None:
        earliest = np.full(n_groups, times.max(), dtype=times.dtype)
        np.minimum.at(earliest, group, times)
        at_earliest = times == earliest[group]
        group, place = group[at_earliest], place[at_earliest]
    first = np.full(n_groups, n_records, dtype=np.int64)
    np.minimum.at(first, group, place)
    return first


def _by_cell(rows: NDArray, cols: NDArray, n_rows: int, n_cols: int) -> NDArray[np.int64]:
    """The records sorted by (row, column), in the order given within a cell.

    Up to 65,536 rows and columns, two stable sorts of 16-bit keys (numpy sorts those by
    radix, in linear time: 3 times faster than one sort of the cell numbers on vtaiwan).
    """
    if max(n_rows, n_cols) <= RADIX_SORTED:
        by_col = np.argsort(cols.astype(np.uint16), kind="stable")
        return by_col[np.argsort(rows[by_col].astype(np.uint16), kind="stable")]
    return np.argsort(rows * n_cols + cols, kind="stable")


def _latest_per_cell(
    cell: NDArray[np.int64], order: NDArray[np.int64], times: NDArray | None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct cells in increasing order, and the record of the latest vote in each.

    `order` sorts the records by cell, keeping the order given within a cell; the latest of
    a run of one cell is its last record at the run's latest time.
    """
    if not len(cell):
        return cell, cell
    in_order = cell[order]
    new_run = np.empty(len(order), dtype=bool)
    new_run[0] = True
    np.not_equal(in_order[1:], in_order[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    if times is None:
        last = np.append(starts[1:], len(order)) - 1
    else:
        ordered_times = times[order]
        latest_time = np.maximum.reduceat(ordered_times, starts)[np.cumsum(new_run) - 1]
        at_latest = np.where(ordered_times == latest_time, np.arange(len(order)), -1)
        last = np.maximum.reduceat(at_latest, starts)
    return in_order[starts], order[last]


def from_dense(
    dense: NDArray, participant_ids: Sequence | None = None, statement_ids: Sequence | None = None
) -> VoteMatrix:
    """A matrix from a small dense array with NaN for 'no vote' (tests and examples)."""
    dense = np.asarray(dense, dtype=float)
    rows, cols = np.nonzero(~np.isnan(dense))  # row-major: already in CSR order
    n, m = dense.shape
    return _from_cells(
        rows,
        cols,
        dense[rows, cols].astype(np.int64),
        np.asarray(participant_ids if participant_ids is not None else np.arange(n)),
        np.asarray(statement_ids if statement_ids is not None else np.arange(m)),
    )


def _from_cells(
    rows: NDArray, cols: NDArray, values: NDArray, row_ids: NDArray, col_ids: NDArray
) -> VoteMatrix:
    """The matrix from distinct cells listed in row-major order."""
    shape = (len(row_ids), len(col_ids))
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    votes = sp.csr_matrix((values.astype(np.int8), cols.astype(np.int32), indptr), shape=shape)
    return VoteMatrix(votes=votes, participant_ids=row_ids, statement_ids=col_ids)


def input_hash(matrix: VoteMatrix) -> str:
    """SHA-256 of the current votes, independent of the order records came in.

    Rows are put in participant-id order; the hash covers the ids and the CSR arrays.
    """
    order = np.argsort(sortable(matrix.participant_ids), kind="stable")
    if (order == np.arange(len(order))).all():  # rows in id order already: nothing to move
        votes = matrix.votes
        indptr, indices, data = votes.indptr, votes.indices, votes.data
    else:
        indptr, indices, data = rows_taken(matrix.votes, order)
    digest = hashlib.sha256()
    digest.update(json.dumps(plain_list(matrix.participant_ids[order]), default=str).encode())
    digest.update(json.dumps(plain_list(matrix.statement_ids), default=str).encode())
    for array, dtype in ((indptr, np.int64), (indices, np.int64), (data, np.int8)):
        # The array's buffer as it is (no copy to bytes, no cast when already that type).
        digest.update(np.ascontiguousarray(array, dtype=dtype))
    return digest.hexdigest()
