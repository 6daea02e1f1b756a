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

import functools

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.group_ids import relabelled
from clustering.kmeans import nearest_each, with_ones
from clustering.matrix import cell_rows
from clustering.pca import (
    DENSE_GRAM_FROM,
    centred,
    project,
    top_eigenpairs,
)

HALVES = 2  # each half's claims are tested with the other half's grouping
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
    rows = cell_rows(votes)
    if n_groups < 2:
        return np.where(labels[rows] >= 0, labels[rows], -1)
    rng = np.random.default_rng(random_state)
    half = np.full(votes.shape[1], -1, dtype=np.int64)
    usable = np.flatnonzero(columns)
    half[usable] = rng.permutation(usable.size) % HALVES
    split = _Split(votes, rows, half)
    # Row h: each participant's group in the grouping that tests half h, named as the
    # analysis's; the last row, all −1, is the one that votes in neither half index (−1).
    names = np.full((HALVES + 1, votes.shape[0]), -1, dtype=np.int64)
    grouped = labels >= 0
    for h in range(HALVES):
        rng_half = np.random.default_rng([random_state, h])
        half_labels = _group_on(split, 1 - h, grouped, n_groups, rng_half)
        names[h] = relabelled(half_labels, labels, n_groups)
    return names[split.cell_half, rows]


class _Split:
    """The votes as the two halves see them: which half each stored vote is in, how many
    votes each participant has in each half, and (when a half's map is dense) the votes
    as a dense table."""

    def __init__(self, votes: sp.csr_matrix, rows: NDArray[np.int64], half: NDArray[np.int64]):
        self.votes, self.rows, self.half = votes, rows, half
        self.cell_half = half[votes.indices]  # −1: a statement in neither half
        # One count of (participant, half + 1) pairs for both halves; column 0 is neither.
        pairs = rows * (HALVES + 1) + (self.cell_half + 1)
        counts = np.bincount(pairs, minlength=votes.shape[0] * (HALVES + 1))
        self.votes_in_half = counts.reshape(votes.shape[0], HALVES + 1)[:, 1:]

    @functools.cached_property
    def table(self) -> tuple[NDArray[np.int8], NDArray[np.bool_], NDArray[np.int64]]:
        """(votes, voted, starts): the votes on the halves' statements as dense arrays, 0
        where nobody voted, each half's statements side by side in statement order
        (half h in columns starts[h]:starts[h + 1]). Votes as bytes: two bytes a cell
        with `voted`, where float64 took nine (50,000 participants × 600 statements:
        60 MB, not 270)."""
        in_a_half = self.half >= 0
        by_half = np.argsort(self.half[in_a_half], kind="stable")
        place = np.full(len(self.half), -1, dtype=np.int64)
        place[np.flatnonzero(in_a_half)[by_half]] = np.arange(len(by_half))
        starts = np.zeros(HALVES + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.half[in_a_half], minlength=HALVES), out=starts[1:])
        stored = self.cell_half >= 0
        at = (self.rows[stored], place[self.votes.indices[stored]])
        shape = (self.votes.shape[0], len(by_half))
        values, voted = np.zeros(shape, dtype=np.int8), np.zeros(shape, dtype=bool)
        values[at], voted[at] = self.votes.data[stored], True
        return values, voted, starts


def _group_on(
    split: _Split,
    half: int,
    grouped: NDArray[np.bool_],
    n_groups: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """k-means groups of the grouped participants on the map of one half's votes alone."""
    votes = split.votes
    labels = np.full(votes.shape[0], -1, dtype=np.int64)
    per_row = split.votes_in_half[:, half]
    enough = grouped & (per_row >= MIN_VOTES_IN_HALF)
    columns = split.half == half
    n_columns = int(columns.sum())
    if enough.sum() < n_groups or n_columns < 2:
        return labels
    per_row = per_row[enough]
    if (
        n_columns <= DENSE_AXES_UP_TO
        and per_row.sum() >= DENSE_GRAM_FROM * len(per_row) * n_columns
    ):
        points = _dense_map(split.table, half, enough, per_row)
    else:
        kept = (split.cell_half == half) & enough[split.rows]
        points = _map(_submatrix(votes, split.rows, kept, enough, columns), rng)
    labels[enough] = _best_of_starts(points, n_groups, rng)
    return labels


def _dense_map(
    table: tuple[NDArray[np.int8], NDArray[np.bool_], NDArray[np.int64]],
    half: int,
    chosen_rows: NDArray[np.bool_],
    per_row: NDArray[np.int64],
) -> NDArray[np.float64]:
    """`_map(_submatrix(...))` of one half when it is dense enough for BLAS, to the bit,
    centred from the dense table (`_Split.table`) with no CSR in between.

    The statement means are sums of whole votes (integers here), exact in any order, so
    they are the sparse path's to the bit. `per_row` is each chosen participant's votes in the half.
    """
    values, voted, starts = table
    block = slice(starts[half], starts[half + 1])
    values, voted = values[chosen_rows, block], voted[chosen_rows, block]
    counts = voted.sum(axis=0)
    sums = values.sum(axis=0)
    means = np.divide(sums, counts, out=np.zeros(len(sums)), where=counts > 0)
    matrix = np.where(voted, values - means, 0.0)
    return _projected(matrix, matrix.T @ matrix, per_row)


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
