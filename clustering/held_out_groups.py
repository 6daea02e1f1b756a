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
from sklearn.cluster import KMeans

from clustering.group_ids import relabelled
from clustering.matrix import cell_rows
from clustering.pca import project

HALVES = 2
K_MEANS_STARTS = 3  # k-means restarts per half; the best (lowest inertia) is kept
MIN_VOTES_IN_HALF = 2  # a participant with fewer votes in a half is not placed by it


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
        half_labels = _group_on(votes[:, others], grouped, n_groups, random_state + h)
        tested = tested_half == h
        out[tested] = relabelled(half_labels, labels, n_groups)[rows[tested]]
    return out


def _group_on(
    votes: sp.csr_matrix, grouped: NDArray[np.bool_], n_groups: int, random_state: int
) -> NDArray[np.int64]:
    """k-means groups of the grouped participants on the map of these votes alone."""
    labels = np.full(votes.shape[0], -1, dtype=np.int64)
    enough = grouped & (np.diff(votes.indptr) >= MIN_VOTES_IN_HALF)
    if enough.sum() < n_groups or votes.shape[1] < 2:
        return labels
    points = project(votes[enough], random_state=random_state).participants
    fitted = KMeans(n_groups, n_init=K_MEANS_STARTS, random_state=random_state).fit(points)
    labels[enough] = fitted.labels_
    return labels
