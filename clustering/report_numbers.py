"""The numbers a report shows per statement, each with its uncertainty.

Shares get 95 % Wilson intervals; a group's difference from the rest is a two-proportion
z-test whose p-values are adjusted for the many statements × groups tested at once
(Benjamini–Hochberg), so "differs" means a false discovery rate under 5 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.stats import chi2

from clustering.stats import benjamini_hochberg, two_proportion_z, two_sided_p, wilson_interval
from clustering.tallies import Tallies, tally

FALSE_DISCOVERY_RATE = 0.05
MAX_DIVISIVE = 5


@dataclass(frozen=True)
class StatementNumbers:
    tallies: Tallies
    agree_q: NDArray[np.float64]  # (n_groups, n_statements) q-value of agree share vs the rest
    division_q: NDArray[np.float64]  # (n_statements,) q-value of "groups vote differently"
    spread: NDArray[np.float64]  # (n_statements,) largest gap between group agree shares
    # 95 % Wilson intervals, computed once for all: (..., 2) arrays of (low, high).
    agree_ci: NDArray[np.float64]  # (n_statements, 2)
    disagree_ci: NDArray[np.float64]
    group_agree_ci: NDArray[np.float64]  # (n_groups, n_statements, 2)
    group_disagree_ci: NDArray[np.float64]

    def rows(self) -> list[dict[str, Any]]:
        """Every statement's numbers as a JSON-ready dict, in column order."""
        t = self.tallies
        groups = [self._group_rows(g) for g in range(t.agree.shape[0])]
        columns = {
            "n_agree": t.total_agree.tolist(),
            "n_disagree": t.total_disagree.tolist(),
            "n_pass": t.total_passes.tolist(),
            "n_seen": t.total_seen.tolist(),
            "agree_share": _shares(t.total_agree, t.total_seen),
            "agree_interval": self.agree_ci.tolist(),
            "disagree_share": _shares(t.total_disagree, t.total_seen),
            "disagree_interval": self.disagree_ci.tolist(),
        }
        spread, differ, q = (
            self.spread.tolist(),
            (self.division_q < FALSE_DISCOVERY_RATE).tolist(),
            self.division_q.tolist(),
        )
        return [
            {
                **{name: values[j] for name, values in columns.items()},
                "groups": [rows[j] for rows in groups],
                "divisiveness": spread[j],
                "groups_differ": differ[j],
                "division_q_value": q[j],
            }
            for j in range(len(spread))
        ]

    def group_interval(self, g: int, j: int, direction: str) -> list[float]:
        intervals = self.group_agree_ci if direction == "agree" else self.group_disagree_ci
        return [float(v) for v in intervals[g, j]]

    def divisive(self, eligible: NDArray[np.bool_]) -> list[int]:
        """Statements where groups differ most, among those where the difference is real."""
        candidates = np.flatnonzero(eligible & (self.division_q < FALSE_DISCOVERY_RATE))
        ranked = candidates[np.lexsort((candidates, -self.spread[candidates]))]
        return [int(j) for j in ranked[:MAX_DIVISIVE]]

    def _group_rows(self, g: int) -> list[dict[str, Any]]:
        """Group g's numbers on every statement."""
        t = self.tallies
        columns = {
            "n_seen": t.seen[g].tolist(),
            "n_agree": t.agree[g].tolist(),
            "n_disagree": t.disagree[g].tolist(),
            "agree_share": _shares(t.agree[g], t.seen[g]),
            "agree_interval": self.group_agree_ci[g].tolist(),
            "disagree_share": _shares(t.disagree[g], t.seen[g]),
            "disagree_interval": self.group_disagree_ci[g].tolist(),
            "differs_from_rest": (self.agree_q[g] < FALSE_DISCOVERY_RATE).tolist(),
            "q_value": self.agree_q[g].tolist(),
        }
        return [
            {"group": g, **{name: values[j] for name, values in columns.items()}}
            for j in range(t.seen.shape[1])
        ]


def statement_numbers(votes: sp.csr_matrix, labels: NDArray, n_groups: int) -> StatementNumbers:
    t = tally(votes, labels, n_groups)
    rest_agree, rest_seen = t.agree.sum(0) - t.agree, t.seen.sum(0) - t.seen
    p = two_sided_p(two_proportion_z(t.agree, t.seen, rest_agree, rest_seen))
    tested = t.seen > 0
    agree_q = np.ones_like(p)
    agree_q[tested] = benjamini_hochberg(p[tested])
    division_p = _division_p(t)
    division_q = benjamini_hochberg(division_p) if division_p.size else division_p
    shares = (t.agree + 1) / (t.seen + 2)
    spread = shares.max(axis=0) - shares.min(axis=0) if n_groups > 1 else np.zeros(votes.shape[1])
    return StatementNumbers(
        t,
        agree_q,
        division_q,
        spread,
        agree_ci=np.stack(wilson_interval(t.total_agree, t.total_seen), axis=-1),
        disagree_ci=np.stack(wilson_interval(t.total_disagree, t.total_seen), axis=-1),
        group_agree_ci=np.stack(wilson_interval(t.agree, t.seen), axis=-1),
        group_disagree_ci=np.stack(wilson_interval(t.disagree, t.seen), axis=-1),
    )


def _division_p(t: Tallies) -> NDArray[np.float64]:
    """Chi-square test of (agree, disagree, pass) × group for every statement at once.

    The statistic Σ (O − E)² / E over the cells of each statement's group × outcome table,
    with (rows − 1)(columns − 1) degrees of freedom counting only non-empty rows and columns;
    p = 1 where the table has fewer than two of either.
    """
    observed = np.stack([t.agree, t.disagree, t.passes], axis=-1).astype(float)  # (G, S, 3)
    by_group = observed.sum(axis=2)  # (G, S)
    by_outcome = observed.sum(axis=0)  # (S, 3)
    total = by_group.sum(axis=0)  # (S,)
    expected = by_group[:, :, None] * by_outcome[None, :, :] / np.maximum(total, 1)[None, :, None]
    terms = np.divide(
        (observed - expected) ** 2, expected, out=np.zeros_like(observed), where=expected > 0
    )
    statistic = terms.sum(axis=(0, 2))
    dof = ((by_group > 0).sum(axis=0) - 1) * ((by_outcome > 0).sum(axis=1) - 1)
    p = np.ones(len(total))
    tested = dof > 0
    p[tested] = chi2.sf(statistic[tested], dof[tested])
    return p


def _shares(counts: NDArray, seen: NDArray) -> list[float]:
    """count / seen as floats, 0 where nothing was seen."""
    return np.divide(
        counts, seen, out=np.zeros(np.shape(counts)), where=np.asarray(seen) > 0
    ).tolist()
