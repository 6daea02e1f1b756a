"""What both profiles share: who is grouped, the most groups, and what a profile returns.

A primitive module: the profiles (`polis`, `consult_profile`) import it, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustering.matrix import plain
from clustering.parameters import DEFAULT
from clustering.pca import Projection


@dataclass(frozen=True)
class Found:
    """What a profile's grouping gives the analysis.

    Attributes
    ----------
    labels : ndarray of shape (n_participants,)
        Group index per participant (0..n_groups − 1), −1 when not grouped.
    membership : ndarray of shape (n_participants, n_groups) or None
        Each participant's probability of each group (the consult profile's soft
        membership; rows of participants not in-conv are 0). None when the profile
        assigns hard groups only (polis).
    projection : Projection
        The 2-D map.
    division, parameters, state : dict
        `Analysis.division`, the profile's parameters (methodology) and its warm state.
    claim_labels : ndarray of shape (nnz,) or None
        The group each stored vote's claims are tested with, from a grouping that did not
        see that vote (`clustering.held_out_groups`); None leaves the choice to the
        analysis (`claims.leave_one_statement_out`).
    """

    labels: NDArray[np.int64]
    membership: NDArray[np.float64] | None
    projection: Projection
    division: dict[str, Any]
    parameters: dict[str, Any]
    state: dict[str, Any]
    claim_labels: NDArray[np.int64] | None = None


def in_conv(
    n_votes: NDArray,
    n_statements: int,
    previously_in: NDArray | None = None,
    *,
    min_votes: int = DEFAULT.min_votes,
    min_in_conv: int = DEFAULT.min_in_conv,
) -> NDArray[np.bool_]:
    """Who is grouped: min(7, n_statements) votes or more; once in, always in; 15 at least.

    DESIGN.md §4.2; 7 and 15 are `min_votes` and `min_in_conv`.
    """
    chosen = n_votes >= min(min_votes, max(n_statements, 1))
    chosen &= n_votes > 0
    if previously_in is not None:
        chosen |= previously_in
    if chosen.sum() < min_in_conv:
        waiting = np.flatnonzero(~chosen & (n_votes > 0))
        most_active = waiting[np.argsort(-n_votes[waiting], kind="stable")]
        chosen[most_active[: min_in_conv - int(chosen.sum())]] = True
    return chosen


def widen(projection: Projection, active: NDArray[np.bool_]) -> Projection:
    """The projection with zero rows for statements left out of it."""
    n = active.size
    components = np.zeros((2, n))
    components[:, active] = projection.components
    means = np.zeros(n)
    means[active] = projection.means
    statements = np.zeros((n, 2))
    statements[active] = projection.statements
    return Projection(means, components, projection.participants, statements)


def previous_components(state: dict[str, Any] | None, statement_ids: NDArray) -> NDArray | None:
    """Last update's axes on today's statements, or None to start cold.

    New statements start at 1 on both axes, as Polis pads its power iteration's start:
    a start with no weight on them could never turn towards them.
    """
    if not state or "components" not in state or "component_statements" not in state:
        return None
    last = np.asarray(state["components"], dtype=float).reshape(2, -1)
    column = {sid: j for j, sid in enumerate(state["component_statements"])}
    index = np.array([column.get(plain(s), -1) for s in statement_ids], dtype=np.int64)
    components = np.where(index >= 0, last[:, np.maximum(index, 0)], 1.0)
    return components if np.any(last) else None


def by_size(labels: NDArray) -> NDArray:
    """Groups numbered 0..k−1 by size (largest first), dropping empty ones."""
    present = labels[labels >= 0]
    if present.size == 0:
        return labels
    sizes = np.bincount(present)
    order = [g for g in np.argsort(-sizes, kind="stable") if sizes[g] > 0]
    mapping = np.full(sizes.size, -1)
    mapping[order] = np.arange(len(order))
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], -1)
