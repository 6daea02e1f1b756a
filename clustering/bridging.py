"""Bridging score per statement, in the style of Community Notes' matrix factorisation.

rating_ij ≈ μ + b_i + c_j + f_i·g_j, fitted by alternating ridge regressions on the votes
people cast (agree 1, pass 0.5, disagree 0, as Community Notes rates helpfulness). The
factor f·g soaks up agreement explained by where people sit on the opinion axis; the
statement intercept c_j is what is left: agreement from both sides of the axis. Intercepts
are regularised five times more than factors (λ 0.15 and 0.03, Community Notes' values,
Wojcik et al. 2022, "Birdwatch: Crowd Wisdom and Bridging Algorithms"), so a statement
scores high only when the data insist on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

INTERCEPT_PENALTY = 0.15
FACTOR_PENALTY = 0.03


@dataclass(frozen=True)
class Bridging:
    """
    Attributes
    ----------
    statement_intercepts : ndarray of shape (n_statements,)
        The bridging score: agreement not explained by the opinion axis.
    statement_factors : ndarray of shape (n_statements,)
    participant_factors : ndarray of shape (n_participants,)
    mean : float
    """

    statement_intercepts: NDArray[np.float64]
    statement_factors: NDArray[np.float64]
    participant_factors: NDArray[np.float64]
    mean: float


def bridging_scores(
    votes: sp.csr_matrix,
    *,
    max_iter: int = 20,
    tol: float = 1e-3,
    random_state: int = 0,
    start: tuple[NDArray, NDArray, float] | None = None,
) -> Bridging:
    """Fit the one-factor model; votes has shape (n_participants, n_statements).

    `start` is last update's (statement intercepts, statement factors, mean), for a warm
    start that converges in a few iterations.
    """
    n, m = votes.shape
    if votes.nnz == 0:
        return Bridging(np.zeros(m), np.zeros(m), np.zeros(n), 0.0)
    ratings = sp.csr_matrix(
        ((votes.data.astype(np.float64) + 1) / 2, votes.indices, votes.indptr), shape=votes.shape
    )
    ratings_t = ratings.T.tocsr()
    mask, mask_t = _mask(ratings), _mask(ratings_t)
    rng = np.random.default_rng(random_state)
    mean = float(ratings.data.mean())
    b, f = np.zeros(n), rng.normal(0, 0.1, n)
    c, g = np.zeros(m), rng.normal(0, 0.1, m)
    if start is not None:
        c, g, mean = np.asarray(start[0], float), np.asarray(start[1], float), float(start[2])
    for _ in range(max_iter):
        previous = c.copy()
        b, f = _ridge_pairs(ratings, mask, mean, c, g)
        c, g = _ridge_pairs(ratings_t, mask_t, mean, b, f)
        residual_sum = ratings.data.sum() - _predicted_sum(mask, b, c, f, g)
        mean = float(residual_sum / votes.nnz)
        if np.max(np.abs(c - previous)) < tol:
            break
    # The sign of a factor is arbitrary; fix it so that results are reproducible.
    if g.sum() < 0:
        f, g = -f, -g
    return Bridging(c, g, f, mean)


def _mask(ratings: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(ratings.nnz), ratings.indices, ratings.indptr), shape=ratings.shape)


def _predicted_sum(mask: sp.csr_matrix, b: NDArray, c: NDArray, f: NDArray, g: NDArray) -> float:
    """Σ over voted cells of b_i + c_j + f_i·g_j (the mean excluded)."""
    per_row = mask @ np.column_stack([c, g])
    return float(b @ np.diff(mask.indptr) + per_row[:, 0].sum() + f @ per_row[:, 1])


def _ridge_pairs(
    ratings: sp.csr_matrix, mask: sp.csr_matrix, mean: float, other_intercepts: NDArray, other_factors: NDArray
) -> tuple[NDArray, NDArray]:
    """For each row, the (intercept, factor) minimising squared error plus the penalties.

    Every sum the 2 × 2 normal equations need comes from two sparse products.
    """
    count = np.diff(ratings.indptr).astype(float)
    sums = mask @ np.column_stack([other_factors, other_factors**2, other_intercepts, other_intercepts * other_factors])
    rated = ratings @ np.column_stack([np.ones_like(other_factors), other_factors])
    sum_g, sum_gg, sum_c, sum_cg = sums.T
    residual = rated[:, 0] - mean * count - sum_c
    residual_g = rated[:, 1] - mean * sum_g - sum_cg
    a11, a12, a22 = count + INTERCEPT_PENALTY, sum_g, sum_gg + FACTOR_PENALTY
    det = a11 * a22 - a12**2
    intercept = (a22 * residual - a12 * residual_g) / det
    factor = (a11 * residual_g - a12 * residual) / det
    return intercept, factor
