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
    ids, centres = _start(points, k, previous, weights)
    return _lloyd(points, ids, centres, weights, max_iter)


def kmeans_each(
    points: NDArray,
    ks: list[int],
    *,
    previous: list[NDArray | None] | None = None,
    weights: NDArray | None = None,
    max_iter: int = 100,
) -> list[Clustering]:
    """`kmeans(points, k, previous=previous[i], ...)` for each k of `ks`, side by side.

    The same clusterings, to the bit, as one call per k; each iteration is one set of array
    operations for every k, where tens of iterations on a hundred points are mostly per-call
    overhead. Each k stops where it would alone: its result is kept from that iteration.
    """
    points = np.asarray(points, dtype=float)
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    previous = previous if previous is not None else [None] * len(ks)
    if len(points) == 0 or min(ks, default=0) < 1:
        return [
            kmeans(points, k, previous=before, weights=weights, max_iter=max_iter)
            for k, before in zip(ks, previous, strict=True)
        ]
    # Cold starts take the first k distinct points: one list, cut for each k.
    distinct = first_distinct(points, max(ks))
    starts = [
        _start(points, k, before, weights, distinct) for k, before in zip(ks, previous, strict=True)
    ]
    return _lloyd_together(points, starts, weights, max_iter)


def _start(
    points: NDArray,
    k: int,
    previous: NDArray | None,
    weights: NDArray,
    distinct: NDArray | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Cluster ids and starting centres: last update's clusters, or the first k distinct
    points (`distinct`: `first_distinct` for k or more, when known already)."""
    if previous is not None and (np.asarray(previous) >= 0).any():
        return _restart(points, np.asarray(previous, dtype=np.int64), k, weights)
    start = (first_distinct(points, k) if distinct is None else distinct)[:k]
    return np.arange(len(start), dtype=np.int64), points[start]


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
    extended, table = with_ones(points), _table_for(len(points), len(centres))
    for remaining in range(max_iter, -1, -1):
        labels = _nearest(extended, _offsets(centres), table)
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


def _lloyd_together(
    points: NDArray, starts: list[tuple[NDArray, NDArray]], weights: NDArray, max_iter: int
) -> list[Clustering]:
    """`_lloyd` from each start at once (`kmeans_each`).

    Set s's cluster c is bin s·size + c of one bincount over the points in order, so each
    cluster sums its points in the order `_lloyd` does. A dropped cluster stays in the
    arrays as dead, its centre at 0 (an empty cluster's mean is left at 0, as is the
    padding's): never nearest (`nearest_each`), sorted after the living and left out of
    the comparison, so the living keep `_lloyd`'s order and arithmetic.
    """
    n_sets, size, dims = len(starts), max(len(ids) for ids, _ in starts), points.shape[1]
    cells = n_sets * size
    centres, alive = np.zeros((n_sets, size, dims)), np.zeros((n_sets, size), dtype=bool)
    for s, (ids, start) in enumerate(starts):
        centres[s, : len(ids)], alive[s, : len(ids)] = start, True
    bin_of = np.arange(n_sets) * size  # added to each set's labels
    repeated_weights = np.repeat(weights, n_sets)
    weighted = [np.repeat(weights * points[:, dim], n_sets) for dim in range(dims)]
    weights_positive = bool((weights > 0).all())
    positions = np.arange(max(size, n_sets))
    sorted_before, count_before = _sorted_alive(centres, alive, positions)
    results: list[Clustering | None] = [None] * n_sets
    extended = with_ones(points)
    for remaining in range(max_iter, -1, -1):
        # A dead centre is infinitely far; the nearest living one keeps its index, and ties
        # go to the lower index, as among the living alone.
        labels = nearest_each(extended, centres, alive)
        bins = (labels + bin_of).ravel()
        totals = np.bincount(bins, repeated_weights, cells).reshape(n_sets, size)
        occupied = totals > 0
        means = np.zeros((n_sets, size, dims))
        for dim, values in enumerate(weighted):
            sums = np.bincount(bins, values, cells).reshape(n_sets, size)
            np.divide(sums, totals, out=means[:, :, dim], where=occupied)
        alive = occupied if weights_positive else np.bincount(bins, None, cells) > 0
        alive = alive.reshape(n_sets, size)
        sorted_after, count_after = _sorted_alive(means, alive, positions)
        settled = _close_alive(sorted_before, count_before, sorted_after, count_after, positions)
        for s in range(n_sets):
            if results[s] is None and (settled[s] or remaining == 0):
                ids = starts[s][0]
                kept = alive[s, : len(ids)]
                results[s] = Clustering(
                    ids[kept], means[s, : len(ids)][kept], (np.cumsum(kept) - 1)[labels[:, s]]
                )
        if all(result is not None for result in results):
            return results  # type: ignore[return-value]
        centres, sorted_before, count_before = means, sorted_after, count_after
    raise AssertionError("unreachable")  # pragma: no cover


def _sorted_alive(centres: NDArray, alive: NDArray, positions: NDArray) -> tuple[NDArray, NDArray]:
    """Each set's living centres sorted as `_sorted_centres` sorts, the dead (at 0) after
    them, and how many are living. `positions` is 0, 1, 2, … (at least as many as sets and
    as centres per set), made once by the caller."""
    n_sets, size, dims = centres.shape
    order = np.lexsort((centres[:, :, 1], np.where(alive, centres[:, :, 0], np.inf)), axis=-1)
    # Row s's cell j is flat cell s·size + j: one fancy index where take_along_axis built four.
    ordered = centres.reshape(n_sets * size, dims)[order + positions[:n_sets, None] * size]
    return ordered, alive.sum(axis=1)  # the dead, at 0, come last


def _close_alive(
    before: NDArray,
    count_before: NDArray,
    after: NDArray,
    count_after: NDArray,
    positions: NDArray,
) -> NDArray[np.bool_]:
    """`_close` for each set: its pairs of sorted centres up to the shorter list."""
    difference = before - after
    distances = np.sqrt(np.add.reduce(difference * difference, axis=2))
    compared = positions[: before.shape[1]] < np.minimum(count_before, count_after)[:, None]
    return ((distances < TOLERANCE) | ~compared).all(axis=1)


def assign(points: NDArray, centres: NDArray) -> NDArray[np.int64]:
    """Index of the nearest centre of each point (ties to the lower index)."""
    return _nearest(with_ones(points), _offsets(centres))


def with_ones(points: NDArray) -> NDArray[np.float64]:
    """The points with a last coordinate of 1, for `_nearest`: made once per clustering."""
    extended = np.ones((len(points), points.shape[1] + 1))
    extended[:, :-1] = points
    return extended


def _offsets(centres: NDArray, alive: NDArray | None = None) -> NDArray[np.float64]:
    """What `_nearest` multiplies the extended points by: −2c over |c|², one column each.

    |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centre, so it is left out,
    and |c|² rides in the product on the points' coordinate of 1 (1·|c|² is exact, and
    BLAS adds it last, where a separate pass added it after the product: the same sums,
    three passes over the table fewer per iteration). A centre that is not `alive` is
    infinitely far.
    """
    offsets = np.empty((centres.shape[1] + 1, len(centres)))
    offsets[:-1] = -2.0 * centres.T  # scaling by 2 is exact: same values as −2(p·c)
    squares = (centres**2).sum(axis=1)  # methods, not np.sum: no dispatch layer
    offsets[-1] = squares if alive is None else np.where(alive, squares, np.inf)
    return offsets


def _nearest(
    extended: NDArray, offsets: NDArray, table: NDArray | None = None
) -> NDArray[np.int64]:
    """The nearest column of `offsets` for each extended point (ties to the lower index).

    Done for `BLOCK_DISTANCES` distances at a time: a block stays in the processor's cache
    and in memory already mapped, where one table of every distance (80 MB at 100,000
    points × 100 centres) had to be mapped afresh on every iteration; 4–7 times faster at
    50,000 points. Each row's distances are computed as in one table, so labels are the
    same. `table`, from `_table_for`, holds a block between calls (Lloyd's iterations).
    """
    n, k = len(extended), offsets.shape[1]
    rows = max(BLOCK_DISTANCES // max(k, 1), 1)
    if table is None:
        table = _table_for(n, k)
    if n <= rows:  # one block: no copy into a labels array
        distances = np.matmul(extended, offsets, out=table[: n * k].reshape(n, k))
        if k == 2:  # the same labels by one comparison: half argmin's time
            return (distances[:, 1] < distances[:, 0]).astype(np.int64)
        return distances.argmin(axis=1)
    labels = np.empty(n, dtype=np.int64)
    for start in range(0, n, rows):
        block = extended[start : start + rows]
        distances = np.matmul(block, offsets, out=table[: len(block) * k].reshape(-1, k))
        labels[start : start + rows] = distances.argmin(axis=1)
    return labels


def _table_for(n_points: int, k: int) -> NDArray[np.float64]:
    """Room for one block of `_nearest`'s distances to k or fewer centres."""
    return np.empty(min(n_points, max(BLOCK_DISTANCES // max(k, 1), 1)) * max(k, 1))


def assign_each(points: NDArray, centres: NDArray) -> NDArray[np.int64]:
    """`assign` for several sets of centres at once: shape (n_points, n_sets).

    Parameters
    ----------
    points : ndarray of shape (n_points, dims)
    centres : ndarray of shape (n_sets, k, dims)
        Each set's column is what `assign(points, centres[s])` gives: one product for every
        set, as each set's own distances are computed, then the nearest within each set.
    """
    return nearest_each(with_ones(points), centres)


def nearest_each(
    extended: NDArray, centres: NDArray, alive: NDArray | None = None
) -> NDArray[np.int64]:
    """`assign_each` on extended points (`with_ones`); a centre not `alive` is never nearest."""
    n_sets, k, dims = centres.shape
    offsets = _offsets(centres.reshape(n_sets * k, dims), None if alive is None else alive.ravel())
    distances = (extended @ offsets).reshape(len(extended), n_sets, k)
    if k == 2:
        return (distances[:, :, 1] < distances[:, :, 0]).astype(np.int64)
    return distances.argmin(axis=2)


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
    """Each cluster's weighted mean; the plain mean of a cluster whose members all weigh 0.

    A weightless cluster centred at the origin instead would never hold its own point, and
    `_restart` would split that point off again and again.
    """
    totals = np.bincount(labels, weights=weights, minlength=n)
    weightless = totals <= 0
    if weightless.any():
        weights = np.where(weightless[labels], 1.0, weights)
        totals = np.bincount(labels, weights=weights, minlength=n)
    means = np.zeros((n, points.shape[1]))
    for dim in range(points.shape[1]):
        sums = np.bincount(labels, weights=weights * points[:, dim], minlength=n)
        np.divide(sums, totals, out=means[:, dim], where=totals > 0)
    return means
