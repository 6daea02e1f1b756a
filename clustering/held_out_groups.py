"""Labels for testing claims about groups, from groupings that never saw the tested votes.

A grouping fitted to every vote makes every group-vs-rest test on those votes optimistic,
even after each participant is reassigned without their vote on statement j
(`claims.leave_one_statement_out`): the map's axis is fitted to all columns, so it leans
toward the columns that happen to covary in this sample, and the groups it cuts inherit
that lean on j. On pure noise the `polis` profile still flagged a statement in 28 % of
conversations that way (`clustering.bench.false_claims`, 2026-12-01).

Sample splitting removes it (Cox 1975): the statements are dealt at random into two
halves; each half is grouped afresh (the map of that half's votes alone, then k-means
with the analysis's number of groups), and its groups are matched to the analysis's
groups by shared members (`group_ids.relabelled`). Claims on a statement of one half are
then tested with the labels of the other half's grouping, which saw none of its votes.
With no structure, those labels are independent of the tested votes, and the exact tests
keep their level; with real groups, each half finds them again, and a participant the
half places elsewhere only costs a little power.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.group_ids import relabelled
from clustering.kmeans import nearest_each, with_ones
from clustering.matrix import cell_rows
from clustering.pca import (
    DENSE_GRAM_FROM,
    centred,
    centred_values,
    project,
    top_eigenpairs,
)

HALVES = 2
K_MEANS_STARTS = 2  # k-means restarts per half; the best (lowest inertia) is kept
K_MEANS_ITERATIONS = 50
MIN_VOTES_IN_HALF = 2  # a participant with fewer votes in a half is not placed by it
DENSE_AXES_UP_TO = 400  # statements in a half up to which its map's axes come from eigh


def split_half_labels(
    votes: sp.csr_matrix,
    labels: NDArray[np.int64],
    n_groups: int,
    columns: NDArray[np.bool_],
    random_state: int = 0,
) -> NDArray[np.int64]:
    """The group each stored vote is tested with; shape (nnz,), CSR order, −1 for none.

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
    labels : ndarray of shape (n_participants,)
        The analysis's groups (0..n_groups − 1, −1 when not grouped).
    n_groups : int
    columns : ndarray of shape (n_statements,), bool
        Statements claims may be made on (eligible); each is dealt to a half. Votes on
        the others get −1 (no claim is made on them).
    random_state : int
        Seeds the split and each half's map and k-means.
    """
    out = np.full(votes.nnz, -1, dtype=np.int64)
    if n_groups < 2:
        rows = cell_rows(votes)
        return np.where(labels[rows] >= 0, labels[rows], -1)
    rng = np.random.default_rng(random_state)
    half = np.full(votes.shape[1], -1, dtype=np.int64)
    usable = np.flatnonzero(columns)
    half[usable] = rng.permutation(usable.size) % HALVES
    grouped = labels >= 0
    tested_half = half[votes.indices]
    rows = cell_rows(votes)
    for h in range(HALVES):
        others = columns & (half >= 0) & (half != h)
        rng_half = np.random.default_rng([random_state, h])
        half_labels = _group_on(votes, rows, others, grouped, n_groups, rng_half)
        tested = tested_half == h
        out[tested] = relabelled(half_labels, labels, n_groups)[rows[tested]]
    return out


def _group_on(
    votes: sp.csr_matrix,
    rows: NDArray[np.int64],
    columns: NDArray[np.bool_],
    grouped: NDArray[np.bool_],
    n_groups: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """k-means groups of the grouped participants on the map of the chosen columns alone.

    `rows` is each stored vote's row (`cell_rows(votes)`).
    """
    labels = np.full(votes.shape[0], -1, dtype=np.int64)
    in_half = columns[votes.indices]
    enough = grouped & (np.bincount(rows[in_half], minlength=votes.shape[0]) >= MIN_VOTES_IN_HALF)
    n_columns = int(columns.sum())
    if enough.sum() < n_groups or n_columns < 2:
        return labels
    kept = in_half & enough[rows]
    if n_columns <= DENSE_AXES_UP_TO and kept.sum() >= DENSE_GRAM_FROM * enough.sum() * n_columns:
        points = _dense_map(votes, rows, kept, enough, columns)
    else:
        points = _map(_submatrix(votes, rows, kept, enough, columns), rng)
    labels[enough] = _best_of_starts(points, n_groups, rng)
    return labels


def _dense_map(
    votes: sp.csr_matrix,
    rows: NDArray[np.int64],
    kept: NDArray[np.bool_],
    chosen_rows: NDArray[np.bool_],
    chosen_columns: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """`_map(_submatrix(...))` when the half is dense enough for BLAS, to the bit, with the
    centred half written straight from the stored votes `kept` (no CSR in between)."""
    shape = (int(chosen_rows.sum()), int(chosen_columns.sum()))
    new_row = (np.cumsum(chosen_rows) - 1)[rows[kept]]
    new_column = (np.cumsum(chosen_columns) - 1)[votes.indices[kept]]
    values, _ = centred_values(new_column, votes.data[kept].astype(np.float64), shape[1])
    matrix = np.zeros(shape)
    matrix[new_row, new_column] = values
    return _projected(matrix, matrix.T @ matrix, np.bincount(new_row, minlength=shape[0]))


def _submatrix(
    votes: sp.csr_matrix,
    rows: NDArray[np.int64],
    kept: NDArray[np.bool_],
    chosen_rows: NDArray[np.bool_],
    chosen_columns: NDArray[np.bool_],
) -> sp.csr_matrix:
    """`votes[chosen_rows][:, chosen_columns]` as float64, from the stored votes `kept`.

    One CSR built from masks of the CSR arrays, where two fancy indexings and a cast
    built five; cells keep their order, so every later sum is the same.
    """
    new_row = np.cumsum(chosen_rows) - 1
    new_column = np.cumsum(chosen_columns) - 1
    shape = (int(chosen_rows.sum()), int(chosen_columns.sum()))
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(new_row[rows[kept]], minlength=shape[0]), out=indptr[1:])
    return sp.csr_matrix(
        (
            votes.data[kept].astype(np.float64),
            new_column[votes.indices[kept]].astype(votes.indices.dtype),
            indptr.astype(votes.indptr.dtype),
        ),
        shape=shape,
    )


def _map(votes: sp.csr_matrix, rng: np.random.Generator) -> NDArray[np.float64]:
    """The participants' 2-D map of these sparse votes (the §4.4 projection, as the
    profile's); `_dense_map` when the half is dense enough for BLAS.

    With few statements the top axes come from the statements × statements Gram matrix
    (exact, and a tenth of the randomized SVD's time on a few hundred columns); otherwise
    from `pca.project`.
    """
    if votes.shape[1] > DENSE_AXES_UP_TO:
        return project(votes, random_state=int(rng.integers(2**31))).participants
    matrix, _ = centred(votes)
    return _projected(matrix, (matrix.T @ matrix).toarray(), np.diff(votes.indptr))


def _projected(
    matrix: NDArray | sp.csr_matrix, gram: NDArray[np.float64], per_row: NDArray
) -> NDArray[np.float64]:
    """The §4.4 projection of a centred matrix on its Gram matrix's top two axes."""
    _, axes = top_eigenpairs(gram, 2)
    scale = np.sqrt(matrix.shape[1] / np.maximum(per_row, 1))
    return scale[:, None] * np.asarray(matrix @ axes)


def _best_of_starts(points: NDArray, k: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Lloyd's k-means from `K_MEANS_STARTS` k-means++ starts; the lowest inertia wins.

    Written here rather than taken from scikit-learn: on a few hundred 2-D points its
    checks cost ten times the clustering, and this runs twice per analysis. The starts
    iterate side by side, one array operation for all of them: a start whose labels no
    longer change is at a fixed point (the same labels give the same centres), so going
    on with it until the last start settles changes nothing, and each iteration costs
    about what one start's did.
    """
    n, dims = points.shape
    starts = np.stack([_plus_plus(points, k, rng) for _ in range(K_MEANS_STARTS)])
    cells = K_MEANS_STARTS * k
    # Start s's cluster c is bin s·k + c of one bincount; rows stay in point order, so each
    # bin sums its points in the order one start alone would.
    offsets = np.arange(K_MEANS_STARTS) * k
    coordinates = [np.repeat(np.ascontiguousarray(x), K_MEANS_STARTS) for x in points.T]
    centres, sums = starts, np.empty((cells, dims))
    extended = with_ones(points)
    labels = nearest_each(extended, centres)
    for _ in range(K_MEANS_ITERATIONS):
        bins = (labels + offsets).ravel()
        counts = np.bincount(bins, minlength=cells)[:, None]
        for dim, x in enumerate(coordinates):
            sums[:, dim] = np.bincount(bins, x, cells)
        means = sums / np.maximum(counts, 1)
        centres = np.where(counts > 0, means, centres.reshape(cells, dims)).reshape(starts.shape)
        before, labels = labels, nearest_each(extended, centres)
        if (labels == before).all():
            break
    best, best_inertia = labels[:, 0], np.inf
    for start in range(K_MEANS_STARTS):
        inertia = float(((points - centres[start][labels[:, start]]) ** 2).sum())
        if inertia < best_inertia:
            best, best_inertia = labels[:, start], inertia
    return np.ascontiguousarray(best)


def _plus_plus(points: NDArray, k: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """k-means++ starting centres (Arthur & Vassilvitskii 2007): each next centre drawn in
    proportion to the squared distance from the nearest centre so far."""
    centres = [points[rng.integers(len(points))]]
    for _ in range(k - 1):
        nearest = ((points[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2).min(axis=1)
        total = nearest.sum()
        pick = _drawn(nearest / total, rng) if total > 0 else rng.integers(len(points))
        centres.append(points[pick])
    return np.array(centres, dtype=np.float64)


def _drawn(p: NDArray[np.float64], rng: np.random.Generator) -> int:
    """An index drawn with probabilities p: `rng.choice(len(p), p=p)`, the same draw from
    the same generator, without its checks of p (a third of a small k-means's time)."""
    cumulative = p.cumsum()
    cumulative /= cumulative[-1]
    return int(cumulative.searchsorted(rng.random(), side="right"))
