"""What each group stands for: representative statements (DESIGN.md §4 step 7)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clustering.stats import Z_90_ONE_SIDED, one_proportion_z, two_proportion_z
from clustering.tallies import Tallies

MAX_REPRESENTATIVE = 5


@dataclass(frozen=True)
class Representative:
    """One representative statement of a group, with the numbers behind the choice."""

    statement: int  # column index; analysis.py turns it into the statement's id
    direction: str  # "agree" or "disagree"
    n_agree: int
    n_disagree: int
    n_seen: int
    probability: float  # pa or pd, with the +1/+2 pseudocounts
    probability_test: float  # pat or pdt
    repness: float  # ra or rd: how much more this group agrees (disagrees) than the rest
    repness_test: float  # rat or rdt
    significant: bool


def representative_statements(tallies: Tallies, eligible: NDArray[np.bool_]) -> list[list[Representative]]:
    """For each group, up to five representative statements, agrees before disagrees.

    Formulas from DESIGN.md §4.7 (the Polis math worker's repness): pseudocounts +1/+2,
    one-proportion tests of p > ½, two-proportion tests of the group against all other
    groups together, threshold z > 1.2816 (90 %, one-sided) on both.
    """
    na, nd, ns = tallies.agree, tallies.disagree, tallies.seen
    rest_a, rest_d, rest_s = na.sum(0) - na, nd.sum(0) - nd, ns.sum(0) - ns
    pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
    pat, pdt = one_proportion_z(na, ns), one_proportion_z(nd, ns)
    ra = pa / ((1 + rest_a) / (2 + rest_s))
    rd = pd / ((1 + rest_d) / (2 + rest_s))
    rat, rdt = two_proportion_z(na, ns, rest_a, rest_s), two_proportion_z(nd, ns, rest_d, rest_s)
    agree_ok = (rat > Z_90_ONE_SIDED) & (pat > Z_90_ONE_SIDED)
    disagree_ok = (rdt > Z_90_ONE_SIDED) & (pdt > Z_90_ONE_SIDED)
    agree_direction = rat > rdt

    result = []
    for g in range(na.shape[0]):
        def pick(j: int, agree: bool, significant: bool, g: int = g) -> Representative:
            return Representative(
                statement=j,
                direction="agree" if agree else "disagree",
                n_agree=int(na[g, j]),
                n_disagree=int(nd[g, j]),
                n_seen=int(ns[g, j]),
                probability=float(pa[g, j] if agree else pd[g, j]),
                probability_test=float(pat[g, j] if agree else pdt[g, j]),
                repness=float(ra[g, j] if agree else rd[g, j]),
                repness_test=float(rat[g, j] if agree else rdt[g, j]),
                significant=significant,
            )

        metric_agree = ra[g] * rat[g] * pa[g] * pat[g]
        metric_disagree = rd[g] * rdt[g] * pd[g] * pdt[g]
        candidates = []
        for j in np.flatnonzero(eligible & (ns[g] > 0)):
            if agree_ok[g, j] and (agree_direction[g, j] or not disagree_ok[g, j]):
                candidates.append((metric_agree[j], j, True))
            elif disagree_ok[g, j]:
                candidates.append((metric_disagree[j], j, False))
        if candidates:
            candidates.sort(key=lambda c: (-c[0], c[1]))
            chosen = candidates[:MAX_REPRESENTATIVE]
            best_agree = next((c for c in candidates if c[2]), None)
            if best_agree is not None and best_agree not in chosen:
                chosen = [best_agree, *chosen[: MAX_REPRESENTATIVE - 1]]
            # Agrees before disagrees, each by strength.
            chosen.sort(key=lambda c: (not c[2], -c[0], c[1]))
            result.append([pick(j, agree, True) for _, j, agree in chosen])
            continue
        result.append(_fallback(g, eligible, ns, agree_direction, metric_agree, rat, rdt, pick))
    return result


def _fallback(g, eligible, ns, agree_direction, metric_agree, rat, rdt, pick) -> list[Representative]:
    """No statement passes the tests: the best agree statement, else the highest z (§4.7)."""
    usable = np.flatnonzero(eligible & (ns[g] > 0))
    if usable.size == 0:
        return []
    agreeing = usable[agree_direction[g, usable]]
    if agreeing.size:
        j = int(agreeing[np.argmax(metric_agree[agreeing])])
        return [pick(j, True, False)]
    z = np.maximum(rat[g, usable], rdt[g, usable])
    j = int(usable[np.argmax(z)])
    return [pick(j, bool(rat[g, j] > rdt[g, j]), False)]
