"""Small statistics helpers: intervals on shares, tests between groups, false discovery rate."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

Z_90_ONE_SIDED = 1.2816  # the Polis significance threshold (DESIGN.md §4.7)
Z_95 = 1.959964


def wilson_interval(successes: ArrayLike, trials: ArrayLike, z: float = Z_95) -> tuple[NDArray, NDArray]:
    """Wilson score interval for a share; (0, 1) where there are no trials.

    Wilson rather than the normal approximation: it stays inside [0, 1] and behaves with
    the small counts that small groups give.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    safe_n = np.maximum(n, 1.0)
    p = k / safe_n
    denominator = 1 + z**2 / safe_n
    centre = (p + z**2 / (2 * safe_n)) / denominator
    half = z * np.sqrt(p * (1 - p) / safe_n + z**2 / (4 * safe_n**2)) / denominator
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def two_proportion_z(
    successes_1: ArrayLike, trials_1: ArrayLike, successes_2: ArrayLike, trials_2: ArrayLike
) -> NDArray:
    """z of the difference p1 − p2, each count +1 as in the Polis repness test (§4.7)."""
    s1 = np.asarray(successes_1, dtype=float) + 1
    n1 = np.asarray(trials_1, dtype=float) + 1
    s2 = np.asarray(successes_2, dtype=float) + 1
    n2 = np.asarray(trials_2, dtype=float) + 1
    p1, p2 = s1 / n1, s2 / n2
    pooled = (s1 + s2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return np.divide(p1 - p2, se, out=np.zeros_like(p1), where=se > 0)


def one_proportion_z(successes: ArrayLike, trials: ArrayLike) -> NDArray:
    """Polis's test that a share is above one half: 2·sqrt(n+1)·((k+1)/(n+1) − 0.5) (§4.7)."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    return 2 * np.sqrt(n + 1) * ((k + 1) / (n + 1) - 0.5)


def benjamini_hochberg(p_values: ArrayLike) -> NDArray:
    """Adjusted p-values (q-values) controlling the false discovery rate over many tests."""
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(adjusted, 1.0)
    return q.reshape(np.shape(p_values))


def two_sided_p(z: ArrayLike) -> NDArray:
    return 2 * norm.sf(np.abs(np.asarray(z, dtype=float)))
