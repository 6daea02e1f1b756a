"""Vote counts per statement, overall and per group: the inputs of every report number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.matrix import cell_rows


@dataclass(frozen=True)
class Tallies:
    """
    Attributes
    ----------
    agree, disagree, seen : ndarray of shape (n_groups, n_statements)
        Per group: agrees, disagrees, and all votes (passes included).
    total_agree, total_disagree, total_seen : ndarray of shape (n_statements,)
        Over every participant, grouped or not.
    """

    agree: NDArray[np.int64]
    disagree: NDArray[np.int64]
    seen: NDArray[np.int64]
    total_agree: NDArray[np.int64]
    total_disagree: NDArray[np.int64]
    total_seen: NDArray[np.int64]

    @property
    def passes(self) -> NDArray[np.int64]:
        return self.seen - self.agree - self.disagree

    @property
    def total_passes(self) -> NDArray[np.int64]:
        return self.total_seen - self.total_agree - self.total_disagree


def tally(votes: sp.csr_matrix, labels: NDArray, n_groups: int) -> Tallies:
    """Count votes per group; `labels` is each participant's group index, or −1 when ungrouped.

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
        Passes stored as explicit zeros.
    labels : ndarray of shape (n_participants,)
    """
    # Counted with bincount over the stored cells: a sparse product per count built five
    # matrices per call, whose construction cost more than the counting on these sizes.
    n_statements = votes.shape[1]
    columns = votes.indices
    data = votes.data
    group_of_vote = np.asarray(labels)[cell_rows(votes)]
    grouped = group_of_vote >= 0
    by_group = group_of_vote[grouped] * n_statements + columns[grouped]
    size = n_groups * n_statements

    def per_group(chosen: NDArray[np.bool_] | None) -> NDArray[np.int64]:
        cells = by_group if chosen is None else by_group[chosen[grouped]]
        return np.bincount(cells, minlength=size).reshape(n_groups, n_statements)

    def overall(chosen: NDArray[np.bool_] | None) -> NDArray[np.int64]:
        return np.bincount(columns if chosen is None else columns[chosen], minlength=n_statements)

    agree, disagree = data > 0, data < 0
    return Tallies(
        agree=per_group(agree),
        disagree=per_group(disagree),
        seen=per_group(None),
        total_agree=overall(agree),
        total_disagree=overall(disagree),
        total_seen=overall(None),
    )


def tally_cells(votes: sp.csr_matrix, groups: NDArray, n_groups: int, base: Tallies) -> Tallies:
    """Like `tally`, but each stored vote carries its own group (−1: not counted).

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
    groups : ndarray of shape (nnz,)
        The group of each stored vote, in CSR order (`claims.cell_labels`).
    base : Tallies
        Supplies the totals over everyone, which do not depend on groups.
    """
    n_statements = votes.shape[1]
    counted = groups >= 0
    index = groups[counted] * n_statements + votes.indices[counted]
    data = votes.data[counted]
    size = n_groups * n_statements

    def count(weights: NDArray | None) -> NDArray[np.int64]:
        return (
            np.bincount(index, weights, minlength=size)
            .astype(np.int64)
            .reshape(n_groups, n_statements)
        )

    return Tallies(
        agree=count((data > 0).astype(float)),
        disagree=count((data < 0).astype(float)),
        seen=count(None),
        total_agree=base.total_agree,
        total_disagree=base.total_disagree,
        total_seen=base.total_seen,
    )
