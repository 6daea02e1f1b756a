"""Polis's k-means in the 2-D opinion map: clusters keep their ids from one update to the next.

Written from the behaviour of the Polis math worker's clustering (DESIGN.md §4 steps 5–6):
a cold start takes the first k distinct points; a warm start rebuilds last update's
clusters from their members' new positions, merges clusters that fell on the same spot,
and splits off the point farthest from every centre until there are k clusters again.
Then Lloyd's iterations run until no centre moves more than 0.01. A cluster that loses
all its points is dropped, so a clustering may end with fewer than k clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

TOLERANCE = 0.01  # "same clustering" when no centre moved further (Polis)
BLOCK_DISTANCES = 1 << 17  # point-to-centre distances computed at a time (1 MB)


@dataclass(frozen=True)
class Clustering:
    """
    Attributes
    ----------
    ids : ndarray of shape (n_clusters,)
        Each cluster's id; ids survive from one update to the next.
    centres : ndarray of shape (n_clusters, 2)
    labels : ndarray of shape (n_points,)
        Index into `ids` of each point's cluster.
    """

    ids: NDArray[np.int64]
    centres: NDArray[np.float64]
    labels: NDArray[np.int64]

    def members(self) -> NDArray[np.int64]:
        """The cluster id of each point."""
        return self.ids[self.labels]


def first_distinct(points: NDArray, k: int) -> NDArray[np.int64]:
    """Indices of the first k distinct points, in order (Polis's deterministic start, §4.5).

    A stable sort by (x, y) puts equal points together, each run led by its first point:
    what `np.unique(points, axis=0, return_index=True)` gives, at a fifth of its cost.
    """
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((points[:, 1], points[:, 0]))
    ordered = points[order]
    new_run = np.ones(len(order), dtype=bool)
    new_run[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    return np.sort(order[new_run])[:k]


def kmeans(
    points: NDArray,
    k: int,
    *,
    previous: NDArray | None = None,
    weights: NDArray | None = None,
    max_iter: int = 100,
) -> Clustering:
    """Cluster the points, cold or warm-started from last update's memberships.

    Parameters
    ----------
    points : ndarray of shape (n_points, 2)
    k : int
    previous : ndarray of shape (n_points,), optional
        Last update's cluster id of each point, −1 for a point that is new. None for a
        cold start.
    weights : ndarray of shape (n_points,), optional
    max_iter : int
        Lloyd's iterations after the first.
    """
    points = np.asarray(points, dtype=float)
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    if len(points) == 0 or k < 1:
        return Clustering(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(len(points), np.int64))
    if previous is not None and (np.asarray(previous) >= 0).any():
        ids, centres = _restart(points, np.asarray(previous, dtype=np.int64), k, weights)
    else:
        start = first_distinct(points, k)
        ids, centres = np.arange(len(start), dtype=np.int64), points[start]
    return _lloyd(points, ids, centres, weights, max_iter)


def _lloyd(
    points: NDArray, ids: NDArray, centres: NDArray, weights: NDArray, max_iter: int
) -> Clustering:
    """Lloyd's iterations until no centre moves more than `TOLERANCE`.

    The same arithmetic as `_step` then a comparison of sorted centres, in turn, with
    what does not change between iterations worked out once: the weighted coordinates,
    and each iteration's centres sorted for the next comparison. Tens of iterations on a
    few hundred points are mostly per-call overhead.
    """
    weighted = [weights * points[:, dim] for dim in range(points.shape[1])]
    # With every weight positive, a cluster has points exactly when it has weight: one
    # count fewer per iteration.
    weights_positive = bool((weights > 0).all())
    sorted_before = _sorted_centres(centres)
    for remaining in range(max_iter, -1, -1):
        labels = assign(points, centres)
        n = len(ids)
        totals = np.bincount(labels, weights=weights, minlength=n)
        occupied = totals > 0
        means = np.zeros((n, points.shape[1]))
        for dim, values in enumerate(weighted):
            sums = np.bincount(labels, weights=values, minlength=n)
            np.divide(sums, totals, out=means[:, dim], where=occupied)
        kept = occupied if weights_positive else np.bincount(labels, minlength=n) > 0
        if not kept.all():  # clusters left without points are dropped
            ids, means, labels = ids[kept], means[kept], (np.cumsum(kept) - 1)[labels]
        sorted_after = _sorted_centres(means)
        if remaining == 0 or _close(sorted_before, sorted_after):
            return Clustering(ids, means, labels)
        centres, sorted_before = means, sorted_after
    raise AssertionError("unreachable")  # pragma: no cover


def assign(points: NDArray, centres: NDArray) -> NDArray[np.int64]:
    """Index of the nearest centre of each point (ties to the lower index).

    |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centre, so it is left out.
    Done for `BLOCK_DISTANCES` distances at a time: a block stays in the processor's cache
    and in memory already mapped, where one table of every distance (80 MB at 100,000
    points × 100 centres) had to be mapped afresh on every iteration; 4–7 times faster at
    50,000 points. Each row's distances are computed as in one table, so labels are the same.
    """
    offsets = -2.0 * centres.T  # scaling by 2 is exact: same values as −2(p·c)
    squares = (centres**2).sum(axis=1)  # methods, not np.sum / np.argmin: no dispatch layer
    rows = max(BLOCK_DISTANCES // max(len(centres), 1), 1)
    if len(points) <= rows:  # one block: no copy into a labels array
        distances = points @ offsets
        distances += squares
        if len(centres) == 2:  # the same labels by one comparison: half argmin's time
            return (distances[:, 1] < distances[:, 0]).astype(np.int64)
        return distances.argmin(axis=1)
    labels = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), rows):
        distances = points[start : start + rows] @ offsets
        distances += squares
        labels[start : start + rows] = np.argmin(distances, axis=1)
    return labels


def _step(points: NDArray, ids: NDArray, centres: NDArray, weights: NDArray) -> Clustering:
    """One Lloyd iteration; clusters left without points are dropped."""
    labels = assign(points, centres)
    kept = np.bincount(labels, minlength=len(ids)) > 0
    means = _weighted_means(points, labels, weights, len(ids))
    renumber = np.cumsum(kept) - 1
    return Clustering(ids[kept], means[kept], renumber[labels])


def _sorted_centres(centres: NDArray) -> NDArray:
    """Polis compares centres sorted (x, then y), pair by pair, up to the shorter list."""
    return centres[np.lexsort((centres[:, 1], centres[:, 0]))]


def _close(a: NDArray, b: NDArray) -> bool:
    """Every pair of sorted centres, up to the shorter list, within `TOLERANCE`."""
    difference = a - b if len(a) == len(b) else a[: len(b)] - b[: len(a)]
    # The Euclidean norm as np.linalg.norm computes it, without its checks.
    return bool((np.sqrt(np.add.reduce(difference * difference, axis=1)) < TOLERANCE).all())


def _restart(
    points: NDArray, previous: NDArray, k: int, weights: NDArray
) -> tuple[NDArray, NDArray]:
    """Last update's clusters, recentred on where their members are now, made k again.

    Clusters whose members all left are dropped; clusters whose centres coincide are
    merged (the larger one's id survives). While there are fewer clusters than k (and
    than distinct points), the point farthest from every centre becomes a cluster of its
    own, with a new id. New points join no cluster here; the Lloyd step places them.
    """
    members = previous.copy()
    ids = np.unique(members[members >= 0])
    members = _merge_coinciding(points, members, ids, weights)
    possible = min(k, len(np.unique(points, axis=0)))
    next_id = int(ids.max()) + 1
    while True:
        ids = np.unique(members[members >= 0])
        index = np.searchsorted(ids, members)
        inside = members >= 0
        centres = _weighted_means(points[inside], index[inside], weights[inside], len(ids))
        if len(ids) >= possible:
            return ids, centres
        nearest = np.min(np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2), axis=1)
        farthest = len(nearest) - 1 - int(np.argmax(nearest[::-1]))  # the last of ties, as Polis
        if nearest[farthest] <= 0:
            return ids, centres
        members[farthest] = next_id
        next_id += 1


def _merge_coinciding(points: NDArray, members: NDArray, ids: NDArray, weights: NDArray) -> NDArray:
    """Clusters whose recentred centres are identical become one (the larger keeps its id)."""
    index = np.searchsorted(ids, members)
    inside = members >= 0
    centres = _weighted_means(points[inside], index[inside], weights[inside], len(ids))
    sizes = np.bincount(index[inside], minlength=len(ids))
    survivor: dict[tuple[float, float], int] = {}
    renamed = {}
    for position, centre in enumerate(map(tuple, centres)):
        if centre not in survivor:
            survivor[centre] = position
            continue
        kept = survivor[centre]
        winner = position if sizes[position] >= sizes[kept] else kept
        loser = kept if winner == position else position
        renamed[int(ids[loser])] = int(ids[winner])
        sizes[winner] += sizes[loser]
        survivor[centre] = winner
    if not renamed:
        return members
    for old, new in renamed.items():
        while new in renamed:  # a winner may itself lose later
            new = renamed[new]
        members = np.where(members == old, new, members)
    return members


def _weighted_means(
    points: NDArray, labels: NDArray, weights: NDArray, n: int
) -> NDArray[np.float64]:
    totals = np.bincount(labels, weights=weights, minlength=n)
    means = np.zeros((n, points.shape[1]))
    for dim in range(points.shape[1]):
        sums = np.bincount(labels, weights=weights * points[:, dim], minlength=n)
        np.divide(sums, totals, out=means[:, dim], where=totals > 0)
    return means
