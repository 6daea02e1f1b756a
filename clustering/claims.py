"""Claims a report makes about statements, each an exact or valid test with FDR control.

A report says four kinds of thing: a group differs from the rest on a statement, a group
stands for a statement (representative), everybody agrees (consensus), and groups vote
differently (divisive). Each is a hypothesis test here, never a ranking number:

- group vs rest: Fisher's exact test (Fisher 1922) on the agree share among the votes
  that took a side (agree + disagree), two-sided for "differs", one-sided in the
  statement's direction for "representative"; passes are left out so that people who
  merely pass more than others never "differ" in opinion;
- consensus: the exact one-sided binomial test that more than `consensus_share` of all
  voters agree (disagree);
- divisive: Pearson's chi-square test that every group has the same agree share (again
  among agree + disagree), only where every expected count is at least `min_expected`
  (Cochran 1954), else not testable (Fisher–Freeman–Halton would be exact but costs too
  much per statement);

and each kind is a family adjusted by Benjamini–Hochberg (1995) over every hypothesis
tested in it, the level shared out among the four kinds (each kind's q times four, at most
1; `report_numbers.adjusted_by_kind`), so that a claim means q < `false_discovery_rate`
and a report of no structure makes any claim at all with at most about that chance. No
claim is made below a minimum number of votes (`min_group_votes` in the group,
`min_statement_votes` overall). The thresholds are `clustering.parameters.Parameters`,
with their defaults. Polis's +1-count z-scores (DESIGN.md §4.7) still rank statements in
the `polis` profile but are not tests.

Groups chosen from the same votes make every group-vs-rest test optimistic: the grouping
put people together because they voted alike. So the group claims on statement j are
tested with labels that did not see the votes on j (`claim_labels` per statement, e.g.
`leave_one_statement_out`), and every claim records which labels tested it:
`SELECTION_HELD_OUT` or `SELECTION_SAME_VOTES`. Reassigning people without statement j
removes most of the optimism but not all of it when the groups' summaries themselves were
fitted to j's votes (the `polis` profile's PCA axis on pure noise: see
`clustering.bench.false_claims`); labels from a grouping fitted without j remove it
(`clustering.held_out_groups`, which the `polis` profile uses).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.parameters import DEFAULT, Parameters

SELECTION_HELD_OUT = "held_out"  # statement j tested with labels that did not see j's votes
SELECTION_SAME_VOTES = "same_votes"  # tested on the votes that chose the groups (optimistic)

ClaimLabels = NDArray[np.int64] | Callable[[int], NDArray[np.int64]]


def cell_labels(claim_labels: ClaimLabels, votes: sp.csr_matrix) -> NDArray[np.int64]:
    """The group of each stored vote under `claim_labels`, in CSR order; shape (nnz,).

    `claim_labels` is one of: an array of shape (n_participants, n_statements); a function
    of the statement index returning labels of shape (n_participants,); or already an
    array of shape (nnz,), one group per stored vote in CSR order (what
    `leave_one_statement_out` returns). −1 is ungrouped.
    """
    rows = np.repeat(np.arange(votes.shape[0]), np.diff(votes.indptr))
    columns = votes.indices
    if callable(claim_labels):
        groups = np.empty(votes.nnz, dtype=np.int64)
        for j in np.unique(columns):
            at = columns == j
            groups[at] = np.asarray(claim_labels(int(j)), dtype=np.int64)[rows[at]]
        return groups
    table = np.asarray(claim_labels, dtype=np.int64)
    if table.ndim == 1 and table.shape == (votes.nnz,):
        return table
    if table.shape != votes.shape:
        raise ValueError(f"claim_labels must have shape {votes.shape}, not {table.shape}")
    return table[rows, columns]


def leave_one_statement_out(
    votes: sp.csr_matrix, labels: NDArray, n_groups: int
) -> NDArray[np.int64]:
    """Each participant's group without their vote on each statement; shape (nnz,), CSR order.

    The groups are summarised as a latent-class model (per group and statement, the shares
    of agree, disagree and pass with one pseudo-vote each, and the group sizes), and every
    grouped participant is assigned, for each statement j they voted on, to the group that
    best explains their other votes: log π_g + Σ_{j' ≠ j} log P_g(x_ij'), with their own
    votes taken out of their group's summary. The label used to test statement j then
    depends neither on the participant's vote on j nor, through the summary, on their other
    votes' pull on their own group. The labels the summaries come from still saw every
    vote (see the module docstring for what that leaves; `clustering.bench.false_claims`
    measures it). Ungrouped participants stay −1.
    """
    rows = np.repeat(np.arange(votes.shape[0]), np.diff(votes.indptr))
    grouped_rows = labels[rows] >= 0
    out = np.full(votes.nnz, -1, dtype=np.int64)
    if n_groups < 2 or not grouped_rows.any():
        out[grouped_rows] = labels[rows][grouped_rows]
        return out
    outcome = np.where(votes.data > 0, 0, np.where(votes.data < 0, 1, 2))
    columns = votes.indices
    member = labels[rows]
    n_statements = votes.shape[1]
    flat = (member * n_statements + columns) * 3 + outcome
    counts = np.bincount(flat[grouped_rows], minlength=n_groups * n_statements * 3).reshape(
        n_groups, n_statements, 3
    )
    totals = counts.sum(axis=2)
    log_p = np.log((counts + 1) / (totals[..., None] + 3))  # (G, S, 3)
    # A participant's own votes are left out of their own group's summary (leave one
    # participant out), or each would pull the group toward themselves and keep their label.
    log_p_without_self = np.log(np.maximum(counts, 1) / (totals[..., None] + 2))
    sizes = np.bincount(labels[labels >= 0], minlength=n_groups)
    n_participants = votes.shape[0]
    # One group at a time, so no (n_votes, n_groups) array is built.
    best_score = np.full(votes.nnz, -np.inf)
    best = np.full(votes.nnz, -1, dtype=np.int64)
    for g in range(n_groups):
        mine = member == g
        per_vote = np.where(
            mine, log_p_without_self[g, columns, outcome], log_p[g, columns, outcome]
        )
        prior = np.log(np.maximum(sizes[g] - (labels == g), 0) + 1)  # (n_participants,)
        total = np.bincount(rows, per_vote, n_participants) + prior
        without = total[rows] - per_vote
        better = without > best_score
        best[better], best_score[better] = g, without[better]
    out[grouped_rows] = best[grouped_rows]
    return out


def claim_settings(selection: str, parameters: Parameters = DEFAULT) -> dict[str, float | str]:
    """The thresholds of every claim and how its labels were chosen, for the methodology."""
    return {
        "selection": selection,
        "false_discovery_rate": parameters.false_discovery_rate,
        "min_group_votes": parameters.min_group_votes,
        "min_votes": parameters.min_statement_votes,
        "consensus_share": parameters.consensus_share,
        "min_expected": parameters.min_expected,
    }
