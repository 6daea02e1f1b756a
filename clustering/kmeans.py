"""Weighted k-means in the 2-D opinion map, started from given centres (deterministic)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def first_distinct(points: NDArray, k: int) -> NDArray:
    """The first k distinct points, in order: Polis's deterministic start (DESIGN.md §4.5)."""
    _, first = np.unique(np.round(points, 12), axis=0, return_index=True)
    return points[np.sort(first)[:k]]


def kmeans(
    points: NDArray,
    centres: NDArray,
    *,
    weights: NDArray | None = None,
    tolerance: float = 0.01,
    max_iter: int = 300,
) -> tuple[NDArray, NDArray]:
    """Lloyd's iterations until no centre moves more than `tolerance`.

    Parameters
    ----------
    points : ndarray of shape (n_points, n_dims)
    centres : ndarray of shape (k, n_dims)
        Start; a centre that loses all its points stays where it was.
    weights : ndarray of shape (n_points,), optional

    Returns
    -------
    centres : ndarray of shape (k, n_dims)
    labels : ndarray of shape (n_points,)
    """
    centres = np.array(centres, dtype=float, copy=True)
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    labels = np.zeros(len(points), dtype=np.int64)
    if len(points) == 0 or len(centres) == 0:
        return centres, labels
    for _ in range(max_iter):
        labels = assign(points, centres)
        totals = np.bincount(labels, weights=weights, minlength=len(centres))
        moved = centres.copy()
        for dim in range(points.shape[1]):
            sums = np.bincount(labels, weights=weights * points[:, dim], minlength=len(centres))
            np.divide(sums, totals, out=moved[:, dim], where=totals > 0)
        shift = np.max(np.linalg.norm(moved - centres, axis=1))
        centres = moved
        if shift <= tolerance:
            break
    return centres, assign(points, centres)


def assign(points: NDArray, centres: NDArray) -> NDArray:
    """Index of the nearest centre of each point (ties to the lower index).

    |p − c|² = |p|² − 2 p·c + |c|²; |p|² is the same for every centre, so it is left out.
    """
    return np.argmin(np.sum(centres**2, axis=1)[None, :] - 2 * (points @ centres.T), axis=1)
