"""Which statement to show next: the routing priority of DESIGN.md §4 step 10."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

META_PRIORITY = 49.0  # Polis shows meta statements first (DESIGN.md §4.10)


def routing_priority(
    agrees: ArrayLike,
    passes: ArrayLike,
    seen: ArrayLike,
    extremity: ArrayLike | float = 0.0,
    is_meta: ArrayLike | bool = False,
) -> NDArray[np.float64]:
    """Priority of each statement for being shown next.

    importance = (1 − (P+1)/(S+2)) · (E+1) · (A+1)/(S+2) and
    priority = (importance · (1 + 8·2^(−S/5)))², meta statements 49 (DESIGN.md §4.10).

    A statement nobody has seen gets the formula's own value at S = 0, which is above what
    much-voted statements reach, so new and seed statements are shown early (Polis gives
    them 1, which starves them).

    Parameters
    ----------
    agrees, passes, seen : array-like of shape (n_statements,)
        Agree votes A, pass votes P and all votes S on each statement.
    extremity : array-like of shape (n_statements,) or float
        Length E of the statement's projection in the opinion map; 0 before any analysis.
    is_meta : array-like of shape (n_statements,) or bool

    Returns
    -------
    priority : ndarray of shape (n_statements,)
    """
    agrees = np.asarray(agrees, dtype=float)
    passes = np.asarray(passes, dtype=float)
    seen = np.asarray(seen, dtype=float)
    extremity = np.broadcast_to(np.asarray(extremity, dtype=float), seen.shape)
    importance = (1 - (passes + 1) / (seen + 2)) * (extremity + 1) * (agrees + 1) / (seen + 2)
    priority = (importance * (1 + 8 * 2 ** (-seen / 5))) ** 2
    return np.where(np.broadcast_to(np.asarray(is_meta), seen.shape), META_PRIORITY, priority)
