"""Bridging score per statement, in the style of Community Notes' matrix factorisation.

rating_ij ≈ μ + b_i + c_j + f_i·g_j over the votes people cast (agree 1, pass 0.5,
disagree 0, as Community Notes rates helpfulness). f_i is where participant i sits on the
opinion map's main axis, so g_j is how much statement j's ratings follow that axis; the
statement intercept c_j is what is left: agreement from both sides of the axis, the
bridging score. Intercepts are regularised five times more than factors (λ 0.15 and 0.03,
Community Notes' values; Wojcik et al. 2022, "Birdwatch: Crowd Wisdom and Bridging
Algorithms"), so a statement scores high only when the data insist on it.

Community Notes learns the raters' factor too; that fit is not convex and, on votes as
sparse as a consultation's, ends in different optima from different starts. Taking the
axis from the map makes the fit a ridge regression with one answer, found exactly by
conjugate gradients, and keeps the score consistent with the map people see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, cg

INTERCEPT_PENALTY = 0.15
FACTOR_PENALTY = 0.03
TOLERANCE = 1e-8  # relative residual of the conjugate gradients


@dataclass(frozen=True)
class Bridging:
    """
    Attributes
    ----------
    statement_intercepts : ndarray of shape (n_statements,)
        The bridging score: agreement not explained by the opinion axis.
    statement_factors : ndarray of shape (n_statements,)
        How strongly each statement's ratings follow the axis.
    mean : float
    """

    statement_intercepts: NDArray[np.float64]
    statement_factors: NDArray[np.float64]
    mean: float


def bridging_scores(votes: sp.csr_matrix, axis: NDArray) -> Bridging:
    """Fit the model on votes of shape (n_participants, n_statements).

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
        +1, −1, 0 (pass) on the stored cells.
    axis : ndarray of shape (n_participants,)
        Each participant's place on the opinion axis; standardised here.
    """
    n, m = votes.shape
    if votes.nnz == 0:
        return Bridging(np.zeros(m), np.zeros(m), 0.0)
    system = _NormalEquations(votes, _standardised(np.asarray(axis, dtype=float), votes))
    solution, _ = cg(system.operator(), system.right_side, rtol=TOLERANCE, maxiter=1000,
                     M=system.preconditioner())
    mean, _, intercepts, factors = system.split(solution)
    return Bridging(intercepts, factors, float(mean))


def _standardised(axis: NDArray, votes: sp.csr_matrix) -> NDArray:
    """Mean 0 and standard deviation 1 over participants who voted (0 if all are equal)."""
    voted = np.diff(votes.indptr) > 0
    centred = axis - axis[voted].mean()
    spread = centred[voted].std()
    return centred / spread if spread > 0 else np.zeros_like(axis)


class _NormalEquations:
    """(AᵀA + Λ) x = Aᵀy for x = (μ, b, c, g), A one row per vote: 1, e_i, e_j, f_i·e_j.

    Every product with AᵀA comes from two sparse products (the vote pattern and its
    transpose); no per-vote design matrix is built.
    """

    def __init__(self, votes: sp.csr_matrix, f: NDArray) -> None:
        n, m = votes.shape
        self.n, self.m, self.f = n, m, f
        self.n_votes = votes.nnz
        self.pattern = sp.csr_matrix(
            (np.ones(votes.nnz), votes.indices, votes.indptr), shape=votes.shape
        )
        self.pattern_t = self.pattern.T.tocsr()
        self.per_row = np.diff(self.pattern.indptr).astype(float)
        self.per_column = np.diff(self.pattern_t.indptr).astype(float)
        self.f_sum, self.ff_sum = (self.pattern_t @ np.column_stack([f, f * f])).T
        self.penalty = np.concatenate(
            [[0.0], np.full(n + m, INTERCEPT_PENALTY), np.full(m, FACTOR_PENALTY)]
        )
        ratings = (votes.data.astype(np.float64) + 1) / 2
        rated = sp.csr_matrix((ratings, votes.indices, votes.indptr), shape=votes.shape)
        by_column = rated.T @ np.column_stack([np.ones(n), f])
        self.right_side = np.concatenate(
            [
                [ratings.sum()],
                np.asarray(rated.sum(axis=1)).ravel(),
                by_column[:, 0],
                by_column[:, 1],
            ]
        )

    def split(self, x: NDArray) -> tuple[float, NDArray, NDArray, NDArray]:
        n, m = self.n, self.m
        return x[0], x[1 : 1 + n], x[1 + n : 1 + n + m], x[1 + n + m :]

    def product(self, x: NDArray) -> NDArray:
        mu, b, c, g = self.split(x)
        f = self.f
        row_sums = self.pattern @ np.column_stack([c, g])  # Σ_j∈i c_j, Σ_j∈i g_j
        column_sums = self.pattern_t @ np.column_stack([b, f * b])  # Σ_i∈j b_i, Σ_i∈j f_i b_i
        total = self.n_votes * mu + self.per_row @ b + self.per_column @ c + self.f_sum @ g
        rows = self.per_row * mu + self.per_row * b + row_sums[:, 0] + f * row_sums[:, 1]
        columns = self.per_column * mu + column_sums[:, 0] + self.per_column * c + self.f_sum * g
        factors = self.f_sum * mu + column_sums[:, 1] + self.f_sum * c + self.ff_sum * g
        return np.concatenate([[total], rows, columns, factors]) + self.penalty * x

    def operator(self) -> LinearOperator:
        size = 1 + self.n + 2 * self.m
        return LinearOperator((size, size), matvec=self.product, dtype=np.float64)

    def preconditioner(self) -> LinearOperator:
        """Exact inverse of the diagonal blocks: μ, each b_i, each statement's (c_j, g_j)."""
        n, m = self.n, self.m
        a11 = self.per_column + INTERCEPT_PENALTY
        a12 = self.f_sum
        a22 = self.ff_sum + FACTOR_PENALTY
        det = a11 * a22 - a12**2
        diagonal_mu = max(float(self.n_votes), 1.0)
        diagonal_b = self.per_row + INTERCEPT_PENALTY

        def solve(v: NDArray) -> NDArray:
            vc, vg = v[1 + n : 1 + n + m], v[1 + n + m :]
            return np.concatenate(
                [
                    [v[0] / diagonal_mu],
                    v[1 : 1 + n] / diagonal_b,
                    (a22 * vc - a12 * vg) / det,
                    (a11 * vg - a12 * vc) / det,
                ]
            )

        size = 1 + n + 2 * m
        return LinearOperator((size, size), matvec=solve, dtype=np.float64)
