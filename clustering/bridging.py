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


def bridging_scores(votes: sp.csr_matrix, *, n_iter: int = 40, random_state: int = 0) -> Bridging:
    """Fit the one-factor model; votes has shape (n_participants, n_statements)."""
    n, m = votes.shape
    if votes.nnz == 0:
        return Bridging(np.zeros(m), np.zeros(m), np.zeros(n), 0.0)
    ratings = sp.csr_matrix(
        ((votes.data.astype(np.float64) + 1) / 2, votes.indices, votes.indptr), shape=votes.shape
    )
    mask = sp.csr_matrix((np.ones(votes.nnz), votes.indices, votes.indptr), shape=votes.shape)
    ratings_t, mask_t = ratings.T.tocsr(), mask.T.tocsr()
    rng = np.random.default_rng(random_state)
    mean = float(ratings.data.mean())
    b, f = np.zeros(n), rng.normal(0, 0.1, n)
    c, g = np.zeros(m), rng.normal(0, 0.1, m)
    for _ in range(n_iter):
        b, f = _ridge_pairs(ratings, mask, mean, c, g)
        c, g = _ridge_pairs(ratings_t, mask_t, mean, b, f)
        predicted_sum = float((mask @ c).sum() + b @ np.asarray(mask.sum(axis=1)).ravel())
        interaction = float(f @ (mask @ g))
        mean = float((ratings.data.sum() - predicted_sum - interaction) / votes.nnz)
    # The sign of a factor is arbitrary; fix it so that results are reproducible.
    if g.sum() < 0:
        f, g = -f, -g
    return Bridging(c, g, f, mean)


def _ridge_pairs(
    ratings: sp.csr_matrix, mask: sp.csr_matrix, mean: float, other_intercepts: NDArray, other_factors: NDArray
) -> tuple[NDArray, NDArray]:
    """For each row, the (intercept, factor) minimising squared error plus the penalties."""
    count = np.asarray(mask.sum(axis=1)).ravel()
    sum_g = mask @ other_factors
    sum_gg = mask @ (other_factors**2)
    residual = ratings @ np.ones(ratings.shape[1]) - mean * count - mask @ other_intercepts
    residual_g = ratings @ other_factors - mean * sum_g - mask @ (other_intercepts * other_factors)
    a11, a12, a22 = count + INTERCEPT_PENALTY, sum_g, sum_gg + FACTOR_PENALTY
    det = a11 * a22 - a12**2
    intercept = (a22 * residual - a12 * residual_g) / det
    factor = (a11 * residual_g - a12 * residual) / det
    return intercept, factor
