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
from scipy.stats import chi2_contingency

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

    def statement(self, j: int) -> dict[str, Any]:
        t = self.tallies
        agree_low, agree_high = wilson_interval(t.total_agree[j], t.total_seen[j])
        disagree_low, disagree_high = wilson_interval(t.total_disagree[j], t.total_seen[j])
        return {
            "n_agree": int(t.total_agree[j]),
            "n_disagree": int(t.total_disagree[j]),
            "n_pass": int(t.total_passes[j]),
            "n_seen": int(t.total_seen[j]),
            "agree_share": _share(t.total_agree[j], t.total_seen[j]),
            "agree_interval": [float(agree_low), float(agree_high)],
            "disagree_share": _share(t.total_disagree[j], t.total_seen[j]),
            "disagree_interval": [float(disagree_low), float(disagree_high)],
            "groups": [self._group(g, j) for g in range(t.agree.shape[0])],
            "divisiveness": float(self.spread[j]),
            "groups_differ": bool(self.division_q[j] < FALSE_DISCOVERY_RATE),
            "division_q_value": float(self.division_q[j]),
        }

    def group_interval(self, g: int, j: int, direction: str) -> list[float]:
        counts = self.tallies.agree if direction == "agree" else self.tallies.disagree
        low, high = wilson_interval(counts[g, j], self.tallies.seen[g, j])
        return [float(low), float(high)]

    def divisive(self, eligible: NDArray[np.bool_]) -> list[int]:
        """Statements where groups differ most, among those where the difference is real."""
        candidates = np.flatnonzero(eligible & (self.division_q < FALSE_DISCOVERY_RATE))
        ranked = candidates[np.lexsort((candidates, -self.spread[candidates]))]
        return [int(j) for j in ranked[:MAX_DIVISIVE]]

    def _group(self, g: int, j: int) -> dict[str, Any]:
        t = self.tallies
        agree_low, agree_high = wilson_interval(t.agree[g, j], t.seen[g, j])
        disagree_low, disagree_high = wilson_interval(t.disagree[g, j], t.seen[g, j])
        return {
            "group": g,
            "n_seen": int(t.seen[g, j]),
            "n_agree": int(t.agree[g, j]),
            "n_disagree": int(t.disagree[g, j]),
            "agree_share": _share(t.agree[g, j], t.seen[g, j]),
            "agree_interval": [float(agree_low), float(agree_high)],
            "disagree_share": _share(t.disagree[g, j], t.seen[g, j]),
            "disagree_interval": [float(disagree_low), float(disagree_high)],
            "differs_from_rest": bool(self.agree_q[g, j] < FALSE_DISCOVERY_RATE),
            "q_value": float(self.agree_q[g, j]),
        }


def statement_numbers(votes: sp.csr_matrix, labels: NDArray, n_groups: int) -> StatementNumbers:
    t = tally(votes, labels, n_groups)
    rest_agree, rest_seen = t.agree.sum(0) - t.agree, t.seen.sum(0) - t.seen
    p = two_sided_p(two_proportion_z(t.agree, t.seen, rest_agree, rest_seen))
    tested = t.seen > 0
    agree_q = np.ones_like(p)
    agree_q[tested] = benjamini_hochberg(p[tested])
    division_p = np.array([_division_p(t, j) for j in range(votes.shape[1])])
    division_q = benjamini_hochberg(division_p) if division_p.size else division_p
    shares = (t.agree + 1) / (t.seen + 2)
    spread = shares.max(axis=0) - shares.min(axis=0) if n_groups > 1 else np.zeros(votes.shape[1])
    return StatementNumbers(t, agree_q, division_q, spread)


def _division_p(t: Tallies, j: int) -> float:
    """Chi-square test of agree / disagree / pass against group, for one statement."""
    table = np.stack([t.agree[:, j], t.disagree[:, j], t.passes[:, j]], axis=1)
    table = table[table.sum(axis=1) > 0]
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 1.0
    return float(chi2_contingency(table)[1])


def _share(count: int, seen: int) -> float:
    return float(count / seen) if seen else 0.0
