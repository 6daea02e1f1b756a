"""Where everybody agrees: tested consensus, Polis's majority consensus (§4.8), and
group-informed consensus (§4.9)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from clustering.parameters import DEFAULT
from clustering.stats import Z_90_ONE_SIDED, one_proportion_z
from clustering.tallies import Tallies

MAX_CONSENSUS = 5


def significant_consensus(
    tallies: Tallies,
    consensus_q: NDArray[np.float64],
    eligible: NDArray[np.bool_],
    false_discovery_rate: float = DEFAULT.false_discovery_rate,
) -> dict[str, list[int]]:
    """Column indices of statements most voters agree (disagree) with, as a tested claim.

    A statement is listed when the exact binomial test that more than `consensus_share` of
    its voters agree (disagree) has BH q < `false_discovery_rate` over all statements, with
    at least `min_statement_votes` votes (`clustering.parameters`;
    `report_numbers.statement_numbers` computes `consensus_q`, shape (2, n_statements));
    ranked by the observed share, five at most. This is the
    `consensus` both profiles show; Polis's list is `majority_consensus`.
    """
    ns = tallies.total_seen
    result = {}
    for k, (direction, counts) in enumerate(
        (("agree", tallies.total_agree), ("disagree", tallies.total_disagree))
    ):
        share = np.divide(counts, ns, out=np.zeros(ns.shape), where=ns > 0)
        ok = np.flatnonzero(eligible & (consensus_q[k] < false_discovery_rate))
        ranked = ok[np.lexsort((ok, -share[ok]))]
        result[direction] = [int(j) for j in ranked[:MAX_CONSENSUS]]
    return result


def majority_consensus(tallies: Tallies, eligible: NDArray[np.bool_]) -> dict[str, list[int]]:
    """Column indices of the top agree and disagree statements over all participants.

    A statement is in the agree list when pa = (na+1)/(ns+2) > 0.5 and the one-proportion
    test gives z > 1.2816; ranked by pa·pat, five at most (§4.8). Likewise for disagree.
    This reproduces Pol.is; it is not a test (one vote of one makes pa = 2/3, z = 1.41).
    """
    ns = tallies.total_seen
    result = {}
    for direction, counts in (("agree", tallies.total_agree), ("disagree", tallies.total_disagree)):
        p = (counts + 1) / (ns + 2)
        z = one_proportion_z(counts, ns)
        ok = np.flatnonzero(eligible & (p > 0.5) & (z > Z_90_ONE_SIDED))
        ranked = ok[np.lexsort((ok, -(p[ok] * z[ok])))]
        result[direction] = [int(j) for j in ranked[:MAX_CONSENSUS]]
    return result


def group_informed_consensus(tallies: Tallies) -> NDArray[np.float64]:
    """GAC_j = Π over groups of (A_gj + 1)/(S_gj + 2) (§4.9); shape (n_statements,).

    With no groups, the overall share with the same pseudocounts.
    """
    if tallies.agree.shape[0] == 0:
        return (tallies.total_agree + 1) / (tallies.total_seen + 2)
    return np.prod((tallies.agree + 1) / (tallies.seen + 2), axis=0)
