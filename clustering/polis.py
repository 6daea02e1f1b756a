"""The `polis` profile's grouping: in-conv rule, base clusters, groups by silhouette (§4.2, 4.5, 4.6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import silhouette_score

from clustering.kmeans import first_distinct, kmeans

MIN_VOTES = 7
MIN_IN_CONV = 15
BASE_CLUSTERS = 100
MAX_GROUPS = 5
K_SWITCH_UPDATES = 4  # the displayed k changes after the same new k won this many updates


@dataclass(frozen=True)
class PolisGroups:
    """
    Attributes
    ----------
    labels : ndarray of shape (n_participants,)
        Group index of each participant, −1 when not in-conv.
    in_conv : ndarray of shape (n_participants,), bool
    base_centres : ndarray of shape (n_base, 2)
    n_groups : int
        The displayed k (it changes only after a new k won 4 updates in a row).
    silhouette : float
        Of the displayed k over base-cluster centres; 0 when there is one group.
    k_votes : list of int
        The k that won each recent update.
    """

    labels: NDArray[np.int64]
    in_conv: NDArray[np.bool_]
    base_centres: NDArray[np.float64]
    n_groups: int
    silhouette: float
    k_votes: list[int]


@dataclass(frozen=True)
class PolisHistory:
    """What the previous update leaves for this one (from Analysis.state)."""

    in_conv: NDArray[np.bool_]  # over today's participants
    base_centres: NDArray[np.float64]
    k_votes: list[int]
    displayed_k: int


def in_conv(n_votes: NDArray, n_statements: int, previously_in: NDArray | None = None) -> NDArray[np.bool_]:
    """Who is clustered: at least min(7, n_statements) votes; once in, always in; at least 15 (§4.2)."""
    chosen = n_votes >= min(MIN_VOTES, max(n_statements, 1))
    chosen &= n_votes > 0
    if previously_in is not None:
        chosen |= previously_in
    if chosen.sum() < MIN_IN_CONV:
        most_active = np.argsort(-n_votes, kind="stable")[:MIN_IN_CONV]
        chosen[most_active[n_votes[most_active] > 0]] = True
    return chosen


def group(
    points: NDArray,
    n_votes: NDArray,
    n_statements: int,
    *,
    history: PolisHistory | None = None,
) -> PolisGroups:
    """Base clusters (k = 100) over in-conv participants, then groups of base clusters.

    Parameters
    ----------
    points : ndarray of shape (n_participants, 2)
        The opinion map, participants in Polis order (by participant id).
    history : PolisHistory, optional
        Warm start: last update's base centres, in-conv set and winning ks.
    """
    members = in_conv(n_votes, n_statements, history.in_conv if history is not None else None)
    labels = np.full(len(points), -1, dtype=np.int64)
    inside = points[members]
    if len(inside) == 0:
        return PolisGroups(labels, members, np.zeros((0, 2)), 0, 0.0, [])
    start = first_distinct(inside, BASE_CLUSTERS)
    if history is not None and len(history.base_centres) >= len(start):
        start = history.base_centres  # warm start (§4.5)
    base_centres, base_labels = kmeans(inside, start)
    sizes = np.bincount(base_labels, minlength=len(base_centres))
    used = sizes > 0
    base_centres, sizes = base_centres[used], sizes[used]
    base_labels = (np.cumsum(used) - 1)[base_labels]

    candidates = {1: (0.0, np.zeros(len(base_centres), dtype=np.int64))}
    for k in range(2, min(MAX_GROUPS, 2 + len(base_centres) // 12) + 1):
        if len(base_centres) <= k:
            break
        _, groups = kmeans(base_centres, first_distinct(base_centres, k), weights=sizes)
        if len(np.unique(groups)) == k:
            candidates[k] = (float(silhouette_score(base_centres, groups)), groups)
    best_k = max((k for k in candidates if k > 1), key=lambda k: candidates[k][0], default=1)
    k_votes = ([*history.k_votes, best_k] if history is not None else [best_k])[-K_SWITCH_UPDATES:]
    shown = _displayed_k(best_k, k_votes, history, candidates)
    silhouette, chosen = candidates[shown]
    labels[members] = chosen[base_labels]
    return PolisGroups(labels, members, base_centres, shown, silhouette, k_votes)


def _displayed_k(best_k: int, k_votes: list[int], history: PolisHistory | None, candidates: dict) -> int:
    """Polis shows a new k only once it has won 4 updates in a row (§4.6)."""
    if history is None or history.displayed_k not in candidates:
        return best_k
    if len(k_votes) == K_SWITCH_UPDATES and all(k == best_k for k in k_votes):
        return best_k
    return history.displayed_k
