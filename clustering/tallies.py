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
    counts = _counts_by_kind(votes, np.asarray(labels)[cell_rows(votes)], n_groups)
    # Slot 0 holds the ungrouped; the totals are over every slot.
    totals = counts.sum(axis=0)
    return Tallies(
        agree=counts[1:, :, AGREE],
        disagree=counts[1:, :, DISAGREE],
        seen=counts[1:].sum(axis=2),
        total_agree=totals[:, AGREE],
        total_disagree=totals[:, DISAGREE],
        total_seen=totals.sum(axis=1),
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
    counts = _counts_by_kind(votes, groups, n_groups)[1:]
    return Tallies(
        agree=counts[:, :, AGREE],
        disagree=counts[:, :, DISAGREE],
        seen=counts.sum(axis=2),
        total_agree=base.total_agree,
        total_disagree=base.total_disagree,
        total_seen=base.total_seen,
    )


AGREE, PASS, DISAGREE = 0, 1, 2  # 1 − vote: the kind of a vote as an index


def _counts_by_kind(votes: sp.csr_matrix, groups: NDArray, n_groups: int) -> NDArray[np.int64]:
    """Votes per (group slot, statement, kind), shape (n_groups + 1, n_statements, 3).

    Slot g + 1 counts group g, slot 0 the votes of group −1. One bincount over the stored
    cells, where counting each kind and the totals apart took six passes over them.
    """
    n_statements = votes.shape[1]
    kind = 1 - np.sign(votes.data).astype(np.int64)
    cells = ((groups + 1) * n_statements + votes.indices) * 3 + kind
    size = (n_groups + 1) * n_statements * 3
    return np.bincount(cells, minlength=size).reshape(n_groups + 1, n_statements, 3)
