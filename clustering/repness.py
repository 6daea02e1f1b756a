"""What each group stands for: representative statements (DESIGN.md §4 step 7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clustering.parameters import DEFAULT
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
    significant: bool  # the exact one-sided test's q < 0.05 with enough votes, not the z-scores
    q_value: float  # BH q of "the group agrees (disagrees) more than the rest" (Fisher 1922)

    def as_dict(self) -> dict[str, int | float | str | bool]:
        """The fields in order, as `dataclasses.asdict` gives them, without its deep copies
        (every field is a plain scalar)."""
        return dict(vars(self))


def representative_statements(
    tallies: Tallies,
    eligible: NDArray[np.bool_],
    direction_q: NDArray[np.float64] | None = None,
    *,
    polis_selection: bool = True,
    false_discovery_rate: float = DEFAULT.false_discovery_rate,
) -> list[list[Representative]]:
    """For each group, up to five representative statements, agrees before disagrees.

    Parameters
    ----------
    tallies : Tallies
        Counts by the groups shown: the Polis numbers (pa, pat, ra, rat) come from them.
    eligible : ndarray of shape (n_statements,)
    direction_q : ndarray of shape (2, n_groups, n_statements), optional
        q-values of "the group agrees (0) / disagrees (1) more than the rest", from
        `report_numbers.statement_numbers` (exact tests, BH, minimum votes). A statement is
        `significant` only where this q < `false_discovery_rate`; without it, nothing is.
    polis_selection : bool
        True: choose as the Polis math worker does (DESIGN.md §4.7: pseudocounts +1/+2,
        one-proportion tests of p > ½, two-proportion tests of the group against the rest,
        z > 1.2816 on both; ranked by ra·rat·pa·pat), which reproduces Pol.is's lists; the
        z-scores rank, they do not make a statement significant. False (the `consult`
        profile): only statements whose exact test is significant and where, on the counts
        shown (passes included), the group leans that way: more than half of its votes,
        and a larger share than the rest's; ranked by how much more the group agrees
        (disagrees) than the rest.

    When no statement qualifies, one fallback statement is shown with `significant` False:
    the best direction-consistent one (`_fallback`), or none.
    """
    na, nd, ns = tallies.agree, tallies.disagree, tallies.seen
    n_groups = na.shape[0]
    if direction_q is None:
        direction_q = np.ones((2, *na.shape))
    rest_a, rest_d, rest_s = na.sum(0) - na, nd.sum(0) - nd, ns.sum(0) - ns
    pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
    pat, pdt = one_proportion_z(na, ns), one_proportion_z(nd, ns)
    ra = pa / ((1 + rest_a) / (2 + rest_s))
    rd = pd / ((1 + rest_d) / (2 + rest_s))
    rat, rdt = two_proportion_z(na, ns, rest_a, rest_s), two_proportion_z(nd, ns, rest_d, rest_s)
    significant = direction_q < false_discovery_rate  # (2, G, S)
    if polis_selection:
        agree_ok = (rat > Z_90_ONE_SIDED) & (pat > Z_90_ONE_SIDED)
        disagree_ok = (rdt > Z_90_ONE_SIDED) & (pdt > Z_90_ONE_SIDED)
        agree_direction = rat > rdt
        metric_agree, metric_disagree = ra * rat * pa * pat, rd * rdt * pd * pdt
    else:
        # Significant, and on the shares the report shows (passes included) the group leans
        # that way: more than half of its votes, and more than the rest.
        seen, rest_seen = np.maximum(ns, 1), np.maximum(rest_s, 1)
        agree_ok = significant[0] & (2 * na > ns) & (na / seen > rest_a / rest_seen)
        disagree_ok = significant[1] & (2 * nd > ns) & (nd / seen > rest_d / rest_seen)
        agree_direction = direction_q[0] <= direction_q[1]
        rest_pa, rest_pd = (rest_a + 1) / (rest_s + 2), (rest_d + 1) / (rest_s + 2)
        metric_agree, metric_disagree = pa - rest_pa, pd - rest_pd

    result = []
    for g in range(n_groups):

        def pick(j: int, agree: bool, fallback: bool = False, g: int = g) -> Representative:
            k = 0 if agree else 1
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
                significant=bool(significant[k, g, j]) and not fallback,
                q_value=float(direction_q[k, g, j]),
            )

        candidates = _ranked_candidates(
            eligible & (ns[g] > 0),
            agree_ok[g] & (agree_direction[g] | ~disagree_ok[g]),
            disagree_ok[g],
            metric_agree[g],
            metric_disagree[g],
        )
        if candidates:
            chosen = candidates[:MAX_REPRESENTATIVE]
            best_agree = next((c for c in candidates if c[2]), None)
            if best_agree is not None and best_agree not in chosen:
                chosen = [best_agree, *chosen[: MAX_REPRESENTATIVE - 1]]
            # Agrees before disagrees, each by strength.
            chosen.sort(key=lambda c: (not c[2], -c[0], c[1]))
            result.append([pick(j, agree) for _, j, agree in chosen])
            continue
        result.append(_fallback(eligible & (ns[g] > 0), pa[g], pd[g], rat[g], rdt[g], pick))
    return result


def _ranked_candidates(
    usable: NDArray[np.bool_],
    agree_pick: NDArray[np.bool_],
    disagree_ok: NDArray[np.bool_],
    metric_agree: NDArray,
    metric_disagree: NDArray,
) -> list[tuple[float, int, bool]]:
    """(metric, statement, agree) of each usable statement that qualifies, strongest first.

    A statement counts as an agree when `agree_pick` holds, else as a disagree when
    `disagree_ok` does; ties in the metric go to the lower column. Masks and one lexsort
    over the statements, where a loop looked at each in turn.
    """
    agree = usable & agree_pick
    statements = np.flatnonzero(agree | (usable & disagree_ok))
    is_agree = agree[statements]
    metric = np.where(is_agree, metric_agree[statements], metric_disagree[statements])
    order = np.lexsort((statements, -metric))
    return list(
        zip(
            metric[order].tolist(),
            statements[order].tolist(),
            is_agree[order].tolist(),
            strict=True,
        )
    )


def _fallback(
    usable: NDArray[np.bool_],
    pa: NDArray,
    pd: NDArray,
    rat: NDArray,
    rdt: NDArray,
    pick: Callable[..., Representative],
) -> list[Representative]:
    """No statement qualifies: the group's best direction-consistent statement, or none.

    Polis (§4.7) takes the best agree statement by ra·rat·pa·pat, else the highest z; a
    product of two negative z's is positive, so a statement the group agrees with *less*
    than the rest, and by less than half, could rank first (vtaiwan: pat = −4.5). Here a
    direction counts only when its own tests point that way: the group leans that way more
    than the rest (rat > 0, resp. rdt > 0) and more than not (pa > ½, resp. pd > ½); the
    best is the largest such z, agree first on ties. A fallback is never `significant`.
    """
    agree_score = np.where(usable & (rat > 0) & (pa > 0.5), rat, -np.inf)
    disagree_score = np.where(usable & (rdt > 0) & (pd > 0.5), rdt, -np.inf)
    best_agree, best_disagree = (
        np.max(agree_score, initial=-np.inf),
        np.max(disagree_score, initial=-np.inf),
    )
    if not np.isfinite(max(best_agree, best_disagree)):
        return []
    if best_agree >= best_disagree:
        return [pick(int(np.argmax(agree_score)), True, fallback=True)]
    return [pick(int(np.argmax(disagree_score)), False, fallback=True)]
