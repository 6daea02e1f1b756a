"""The numbers a report shows per statement, each with its uncertainty.

Shares get 95 % Wilson intervals. The claims ("differs from the rest", "groups differ",
consensus, and the significance of representative statements) are exact or valid tests,
adjusted by Benjamini–Hochberg within each kind, the level shared out among the kinds,
with minimum numbers of votes (`clustering.claims`), tested with the labels the caller
gives for claims (`claim_labels`) when it has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.claims import (
    SELECTION_HELD_OUT,
    SELECTION_SAME_VOTES,
    ClaimLabels,
    cell_labels,
)
from clustering.parameters import DEFAULT, Parameters
from clustering.stats import (
    benjamini_hochberg,
    binomial_greater_p,
    fisher_one_sided_p,
    homogeneity_p,
    two_sided_from_one_sided,
    wilson_interval,
)
from clustering.tallies import Tallies, tally, tally_cells

MAX_DIVISIVE = 5
Family = tuple[NDArray[np.float64], NDArray[np.bool_]]  # p-values and which were tested


@dataclass(frozen=True)
class StatementNumbers:
    """
    Attributes
    ----------
    tallies : Tallies
        Counts by the groups shown (the labels), for shares and intervals.
    claim_tallies : Tallies
        Counts by the labels the claims are tested with (the same object without
        `claim_labels`).
    agree_q : ndarray of shape (n_groups, n_statements)
        q-value of "the group's agree share differs from the rest's" (two-sided Fisher on
        agree among agree + disagree); 1 where untested (fewer than `min_group_votes`
        agree + disagree votes in the group or the rest).
    direction_q : ndarray of shape (2, n_groups, n_statements)
        q-values of "the group agrees (0) / disagrees (1) more than the rest" (one-sided
        Fisher); read by representative statements.
    division_q : ndarray of shape (n_statements,)
        q-value of "groups have different agree shares" (chi-square across groups, agree
        among agree + disagree).
    consensus_q : ndarray of shape (2, n_statements)
        q-value of "more than `consensus_share` of voters agree (0) / disagree (1)".
    spread : ndarray of shape (n_statements,)
        Largest gap between group agree shares (+1/+2 pseudocounts).
    selection : str
        `SELECTION_HELD_OUT` or `SELECTION_SAME_VOTES`: which labels tested the claims.
    false_discovery_rate : float
        q below which a claim is made.
    """

    tallies: Tallies
    claim_tallies: Tallies
    agree_q: NDArray[np.float64]
    direction_q: NDArray[np.float64]
    division_q: NDArray[np.float64]
    consensus_q: NDArray[np.float64]
    spread: NDArray[np.float64]
    selection: str
    false_discovery_rate: float
    # 95 % Wilson intervals, computed once for all: (..., 2) arrays of (low, high).
    agree_ci: NDArray[np.float64]  # (n_statements, 2)
    disagree_ci: NDArray[np.float64]
    group_agree_ci: NDArray[np.float64]  # (n_groups, n_statements, 2)
    group_disagree_ci: NDArray[np.float64]

    def rows(self, group_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Every statement's numbers as a JSON-ready dict, in column order.

        Each group's entry is named by `group_ids[g]` (its index g by default).
        """
        t = self.tallies
        n_groups = t.agree.shape[0]
        names = range(n_groups) if group_ids is None else [int(i) for i in group_ids]
        by_group = [self._group_rows(g, names[g]) for g in range(n_groups)]
        if n_groups:
            groups = [list(g) for g in zip(*by_group, strict=True)]
        else:
            groups = [[] for _ in range(t.total_seen.shape[0])]
        selection = self.selection
        # A dict display per statement: three times faster than dict(zip(keys, values)).
        return [
            {
                "n_agree": n_agree,
                "n_disagree": n_disagree,
                "n_pass": n_pass,
                "n_seen": n_seen,
                "agree_share": agree_share,
                "agree_interval": agree_interval,
                "disagree_share": disagree_share,
                "disagree_interval": disagree_interval,
                "divisiveness": divisiveness,
                "groups_differ": groups_differ,
                "division_q_value": division_q_value,
                "consensus_agree_q_value": consensus_agree_q_value,
                "consensus_disagree_q_value": consensus_disagree_q_value,
                "groups": group_rows,
                "selection": selection,
            }
            for (
                n_agree,
                n_disagree,
                n_pass,
                n_seen,
                agree_share,
                agree_interval,
                disagree_share,
                disagree_interval,
                divisiveness,
                groups_differ,
                division_q_value,
                consensus_agree_q_value,
                consensus_disagree_q_value,
                group_rows,
            ) in zip(
                t.total_agree.tolist(),
                t.total_disagree.tolist(),
                t.total_passes.tolist(),
                t.total_seen.tolist(),
                _shares(t.total_agree, t.total_seen),
                self.agree_ci.tolist(),
                _shares(t.total_disagree, t.total_seen),
                self.disagree_ci.tolist(),
                self.spread.tolist(),
                (self.division_q < self.false_discovery_rate).tolist(),
                self.division_q.tolist(),
                self.consensus_q[0].tolist(),
                self.consensus_q[1].tolist(),
                groups,
                strict=True,
            )
        ]

    def group_interval(self, g: int, j: int, direction: str) -> list[float]:
        intervals = self.group_agree_ci if direction == "agree" else self.group_disagree_ci
        return [float(v) for v in intervals[g, j]]

    def divisive(self, eligible: NDArray[np.bool_]) -> list[int]:
        """Statements where groups differ most, among those where the difference is a claim."""
        candidates = np.flatnonzero(eligible & (self.division_q < self.false_discovery_rate))
        ranked = candidates[np.lexsort((candidates, -self.spread[candidates]))]
        return [int(j) for j in ranked[:MAX_DIVISIVE]]

    def _group_rows(self, g: int, name: int) -> list[dict[str, Any]]:
        """Group g's numbers on every statement, the group named `name`."""
        t = self.tallies
        return [
            {
                "group": name,
                "n_seen": n_seen,
                "n_agree": n_agree,
                "n_disagree": n_disagree,
                "agree_share": agree_share,
                "agree_interval": agree_interval,
                "disagree_share": disagree_share,
                "disagree_interval": disagree_interval,
                "differs_from_rest": differs_from_rest,
                "q_value": q_value,
            }
            for (
                n_seen,
                n_agree,
                n_disagree,
                agree_share,
                agree_interval,
                disagree_share,
                disagree_interval,
                differs_from_rest,
                q_value,
            ) in zip(
                t.seen[g].tolist(),
                t.agree[g].tolist(),
                t.disagree[g].tolist(),
                _shares(t.agree[g], t.seen[g]),
                self.group_agree_ci[g].tolist(),
                _shares(t.disagree[g], t.seen[g]),
                self.group_disagree_ci[g].tolist(),
                (self.agree_q[g] < self.false_discovery_rate).tolist(),
                self.agree_q[g].tolist(),
                strict=True,
            )
        ]


def statement_numbers(
    votes: sp.csr_matrix,
    labels: NDArray,
    n_groups: int,
    *,
    claim_labels: ClaimLabels | None = None,
    eligible: NDArray[np.bool_] | None = None,
    parameters: Parameters = DEFAULT,
) -> StatementNumbers:
    """Counts, shares with intervals, and the tested claims for every statement.

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
        +1, −1, 0 (pass) on the stored cells.
    labels : ndarray of shape (n_participants,)
        The groups shown; −1 is ungrouped.
    n_groups : int
    claim_labels : ndarray of shape (n_participants, n_statements), or callable, optional
        The groups to test statement j's claims with, chosen without the votes on j
        (`claims.cell_labels`). A callable takes j and returns labels of shape
        (n_participants,). Without it the claims are tested on the shown groups and marked
        `same_votes`.
    eligible : ndarray of shape (n_statements,), optional
        Statements a claim may be made on (not moderated out, not meta); the others are
        left out of every test family. All by default.
    parameters : Parameters
        The claims' thresholds (false discovery rate, minimum votes, consensus share).
    """
    n_statements = votes.shape[1]
    if eligible is None:
        eligible = np.ones(n_statements, dtype=bool)
    t = tally(votes, labels, n_groups)
    if claim_labels is None:
        claim_tallies, selection = t, SELECTION_SAME_VOTES
    else:
        cells = cell_labels(claim_labels, votes)
        claim_tallies, selection = tally_cells(votes, cells, n_groups, t), SELECTION_HELD_OUT
    differs, directions = _group_versus_rest(claim_tallies, eligible, parameters.min_group_votes)
    # Groups differ in opinion: agree among agree + disagree, groups with too few sit out.
    decided = claim_tallies.agree + claim_tallies.disagree
    enough = decided >= parameters.min_group_votes
    enough_votes = eligible & (t.total_seen >= parameters.min_statement_votes)
    division_p = homogeneity_p(
        np.where(enough, claim_tallies.agree, 0),
        np.where(enough, decided, 0),
        parameters.min_expected,
    )
    consensus_p = binomial_greater_p(  # agree and disagree in one call
        np.stack([t.total_agree, t.total_disagree]), t.total_seen, parameters.consensus_share
    )
    agree_q, direction_q, division_q, consensus_q = adjusted_by_kind(
        [differs, directions, (division_p, enough_votes), (consensus_p, enough_votes)]
    )
    shares = (t.agree + 1) / (t.seen + 2)
    spread = shares.max(axis=0) - shares.min(axis=0) if n_groups > 1 else np.zeros(n_statements)
    return StatementNumbers(
        t,
        claim_tallies,
        agree_q,
        direction_q,
        division_q,
        consensus_q,
        spread,
        selection,
        parameters.false_discovery_rate,
        **_intervals(t),
    )


def _intervals(t: Tallies) -> dict[str, NDArray[np.float64]]:
    """The four Wilson intervals of `StatementNumbers`, from one call (element-wise, so the
    same values as four calls, at a quarter of the calls' overhead)."""
    n_groups, n_statements = t.agree.shape
    successes = np.concatenate(
        [t.total_agree, t.total_disagree, t.agree.ravel(), t.disagree.ravel()]
    )
    trials = np.concatenate([t.total_seen, t.total_seen, t.seen.ravel(), t.seen.ravel()])
    low_high = np.stack(wilson_interval(successes, trials), axis=-1)
    overall, by_group = np.split(low_high, [2 * n_statements])
    return {
        "agree_ci": overall[:n_statements],
        "disagree_ci": overall[n_statements:],
        "group_agree_ci": by_group[: n_groups * n_statements].reshape(n_groups, n_statements, 2),
        "group_disagree_ci": by_group[n_groups * n_statements :].reshape(n_groups, n_statements, 2),
    }


def _group_versus_rest(
    t: Tallies, eligible: NDArray[np.bool_], min_group_votes: int
) -> tuple[Family, Family]:
    """p-values of each group against the rest, with the pairs tested: two-sided on agree
    (groups × statements); one-sided per direction (2 × groups × statements).

    The tests compare agree (disagree) among the votes that took a side, agree + disagree:
    a claim is about opinion, and a group of people who merely pass more must not "differ"
    (their agree share over all votes is lower on every statement). A pair is tested only
    when the group and the rest both have `min_group_votes` such votes on an eligible
    statement, and with at least two groups; untested pairs get q = 1 and are not in the BH
    family (Benjamini & Hochberg 1995: the family is what is tested).
    """
    decided = t.agree + t.disagree
    rest_agree, rest_disagree = t.agree.sum(0) - t.agree, t.disagree.sum(0) - t.disagree
    rest_decided = rest_agree + rest_disagree
    tested = (decided >= min_group_votes) & (rest_decided >= min_group_votes) & eligible[None, :]
    if t.agree.shape[0] < 2:
        tested[:] = False
    # Both directions in one call (scipy.stats' per-call overhead outweighs the sums here),
    # on the tested pairs only: the others get q = 1 whatever their p.
    sides, rest_sides = np.stack([t.agree, t.disagree]), np.stack([rest_agree, rest_disagree])
    one_sided = np.ones(sides.shape)
    one_sided[:, tested] = fisher_one_sided_p(
        sides[:, tested], decided[tested], rest_sides[:, tested], rest_decided[tested]
    )
    # Disagree is agree's complement among decided votes: its one-sided p is agree's "less".
    two_sided = two_sided_from_one_sided(one_sided[0], one_sided[1])
    return (two_sided, tested), (one_sided, np.broadcast_to(tested, one_sided.shape))


def adjusted_by_kind(kinds: Sequence[Family]) -> list[NDArray[np.float64]]:
    """q-values of every kind of claim: Benjamini–Hochberg within the kind, the level shared
    out among the kinds; 1 where untested.

    Each kind adjusted on its own at `false_discovery_rate` would hold that rate for its
    own claims, and with no structure each kind alone flags about that share of
    conversations, so a report would make some claim more often (0.06 of 300 noise
    conversations in the polis profile, `clustering.bench.false_claims`). Shared out
    (Bonferroni across the kinds, BH within each: each kind's q times the number of kinds,
    at most 1), a claim still means q < `false_discovery_rate`, each kind's false discovery
    rate is at most its share of it, and the chance that a report of no structure makes
    any claim at all is at most the sum of the shares, the whole rate. One BH family over
    every kind would be as strict on noise and a little more powerful, but lets a kind
    with many discoveries loosen another's bar.

    Parameters
    ----------
    kinds : sequence of (p, tested)
        Each kind's p-values, of any shape, and a mask that broadcasts to them: which of
        them were tested (only those are in the kind's family).
    """
    adjusted = []
    for p, tested in kinds:
        mask = np.broadcast_to(tested, np.shape(p))
        q = np.ones(mask.shape)
        q[mask] = np.minimum(benjamini_hochberg(np.asarray(p)[mask]) * len(kinds), 1.0)
        adjusted.append(q)
    return adjusted


def _shares(counts: NDArray, seen: NDArray) -> list[float]:
    """count / seen as floats, 0 where nothing was seen."""
    return np.divide(
        counts, seen, out=np.zeros(np.shape(counts)), where=np.asarray(seen) > 0
    ).tolist()
