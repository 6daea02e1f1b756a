"""Bridging score per statement, in the style of Community Notes' matrix factorisation.

rating_ij ≈ μ + b_i + c_j + f_i·g_j over the votes people cast (agree 1, pass 0.5,
disagree 0, as Community Notes rates helpfulness). f_i is where participant i sits on the
opinion map's main axis, so g_j is how much statement j's ratings follow that axis; the
statement intercept c_j is what is left: agreement from both sides of the axis, the
bridging score.

Regularisation as Community Notes weights it (Wojcik et al. 2022, "Birdwatch: Crowd Wisdom
and Bridging Algorithms"; twitter/communitynotes, matrix_factorization.py): the loss is the
*mean* squared error over ratings plus λ times the *mean* square of each parameter vector,
λ = 0.03 for factors and 5 × 0.03 = 0.15 for intercepts. Multiplied by the number of votes
N, that is a sum of squared errors plus 0.15·(N/m)·Σ c_j², 0.15·(N/n)·Σ b_i² and
0.03·(N/m)·Σ g_j²: each statement intercept is held back by 0.15 × the mean number of
votes per statement, so a statement with one vote keeps about 1/(1 + 0.15·N/m) of its
raw score and a statement with the mean number keeps about 85 %. (Adding λ to a *sum* over
votes, as this module did before, barely shrinks anything: on vtaiwan the top three
statements had one vote each.) μ is not penalised (Community Notes penalises its global
intercept too; with ratings in 0..1 that pulls the mean toward 0 and pushes it into the
intercepts).

Below `min_votes` votes a statement gets no score (`scored` False; the score is 0.0, no
claim). The interval is c_j ± 1.96 sd, with the ridge posterior variance σ²·[(AᵀA + Λ)⁻¹]
taken from statement j's own (c_j, g_j) block, that is conditional on μ, the participant
intercepts and the axis (so somewhat narrow), and σ² the mean squared residual.

Community Notes learns the raters' factor too; that fit is not convex and, on votes as
sparse as a consultation's, ends in different optima from different starts. Taking the
axis from the map makes the fit a ridge regression with one answer, and keeps the score
consistent with the map people see.

The solve: the participant intercepts' block of the normal equations is diagonal, so they
are eliminated exactly (a Schur complement) and preconditioned conjugate gradients run on
the 1 + 2m unknowns (μ, c, g) left. That takes about half the iterations of CG on all
1 + n + 2m (9–10 instead of 19–21 on the shared Polis conversations at the same
tolerance), each as cheap. `TOLERANCE` 1e-6 leaves scores and intervals within 1e-6 of
the exact solve (tested against a tight solve and a dense one), far below the 3
decimals anything shows. A small conversation's reduced system is instead written out
densely and solved exactly (LAPACK), when participants × (1 + 2m)² is at most
`DIRECT_SOLVE_UP_TO`: there the ten iterations' per-call overhead outweighs one dense
product (0.5–0.8 instead of 1.0–1.4 ms on the three shared conversations below 4·10⁶;
even at scoop's 4.7·10⁶; 5–7 times slower than CG at 4·10⁷ and above).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.matrix import cell_rows
from clustering.parameters import DEFAULT
from clustering.stats import Z_95

INTERCEPT_PENALTY = 0.15  # Community Notes: l2_lambda 0.03 × l2_intercept_multiplier 5
FACTOR_PENALTY = 0.03  # Community Notes: l2_lambda
TOLERANCE = 1e-6  # relative residual of the conjugate gradients (module docstring)
MAX_ITERATIONS = 1000
DIRECT_SOLVE_UP_TO = 4_000_000  # participants × (1 + 2·statements)²: solve S densely (docstring)


@dataclass(frozen=True)
class Penalties:
    """Ridge penalties on sums of squares: Community Notes' per-mean λ times N / count."""

    participant_intercept: float
    statement_intercept: float
    statement_factor: float


def penalties(n_votes: int, n_participants: int, n_statements: int) -> Penalties:
    """λ·N/n for participant intercepts, λ·N/m for statement intercepts and factors."""
    per_participant = n_votes / max(n_participants, 1)
    per_statement = n_votes / max(n_statements, 1)
    return Penalties(
        INTERCEPT_PENALTY * per_participant,
        INTERCEPT_PENALTY * per_statement,
        FACTOR_PENALTY * per_statement,
    )


@dataclass(frozen=True)
class Bridging:
    """
    Attributes
    ----------
    statement_intercepts : ndarray of shape (n_statements,)
        The bridging score: agreement not explained by the opinion axis; 0 where not scored.
    statement_factors : ndarray of shape (n_statements,)
        How strongly each statement's ratings follow the axis.
    mean : float
    votes : ndarray of shape (n_statements,)
        Votes on each statement.
    scored : ndarray of shape (n_statements,)
        At least `min_votes` votes: the score means something.
    intervals : ndarray of shape (n_statements, 2)
        95 % interval of the intercept (see the module docstring); (0, 0) where not scored.
    """

    statement_intercepts: NDArray[np.float64]
    statement_factors: NDArray[np.float64]
    mean: float
    votes: NDArray[np.int64]
    scored: NDArray[np.bool_]
    intervals: NDArray[np.float64]


def bridging_scores(
    votes: sp.csr_matrix,
    axis: NDArray,
    *,
    min_votes: int = DEFAULT.min_statement_votes,
    tolerance: float = TOLERANCE,
) -> Bridging:
    """Fit the model on votes of shape (n_participants, n_statements).

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
        +1, −1, 0 (pass) on the stored cells.
    axis : ndarray of shape (n_participants,)
        Each participant's place on the opinion axis; standardised here.
    min_votes : int
        Statements with fewer votes are not scored (score 0.0, `scored` False).
    tolerance : float
        Relative residual at which the conjugate gradients stop.
    """
    n, m = votes.shape
    counts = np.bincount(votes.indices, minlength=m).astype(np.int64)
    if votes.nnz == 0:
        return Bridging(np.zeros(m), np.zeros(m), 0.0, counts, np.zeros(m, bool), np.zeros((m, 2)))
    f = _standardised(np.asarray(axis, dtype=float), votes)
    system = _NormalEquations(votes, f, penalties(votes.nnz, n, m))
    solution = system.solve(tolerance)
    mean, b, intercepts, factors = system.split(solution)
    scored = counts >= min_votes
    sd = np.sqrt(system.residual_variance(solution) * system.intercept_variance_factor())
    intervals = np.column_stack([intercepts - Z_95 * sd, intercepts + Z_95 * sd])
    intervals[~scored] = 0.0
    return Bridging(
        np.where(scored, intercepts, 0.0), factors, float(mean), counts, scored, intervals
    )


def _standardised(axis: NDArray, votes: sp.csr_matrix) -> NDArray:
    """Mean 0 and standard deviation 1 over participants who voted (0 if all are equal)."""
    voted = np.diff(votes.indptr) > 0
    centred = axis - axis[voted].mean()
    spread = centred[voted].std()
    return centred / spread if spread > 0 else np.zeros_like(axis)


class _NormalEquations:
    """(AᵀA + Λ) x = Aᵀy for x = (μ, b, c, g), A one row per vote: 1, e_i, e_j, f_i·e_j.

    Every product with AᵀA comes from sparse products with the vote pattern and its
    transpose; no per-vote design matrix is built. `solve` eliminates b first (module
    docstring).
    """

    def __init__(self, votes: sp.csr_matrix, f: NDArray, penalty: Penalties) -> None:
        n, m = votes.shape
        self.n, self.m, self.f, self.lam = n, m, f, penalty
        self.n_votes = votes.nnz
        self.pattern = sp.csr_matrix(
            (np.ones(votes.nnz), votes.indices, votes.indptr), shape=votes.shape
        )
        # Products go one vector at a time: scipy's several-vector product was twice as slow.
        # The transpose is a view (CSC), not a copy.
        self.pattern_t = self.pattern.T
        self.per_row = np.diff(self.pattern.indptr).astype(float)
        self.per_column = np.bincount(votes.indices, minlength=m).astype(float)
        self.f_sum, self.ff_sum = self.pattern_t @ f, self.pattern_t @ (f * f)
        self.ratings = (votes.data.astype(np.float64) + 1) / 2
        self.rows = cell_rows(self.pattern)
        # Aᵀy by bincount over the stored cells: the same sums, in the same order, as sparse
        # products with a ratings matrix, without building it and its transpose.
        self.right_side = np.concatenate(
            [
                [self.ratings.sum()],
                np.bincount(self.rows, self.ratings, n),
                np.bincount(votes.indices, self.ratings, m),
                np.bincount(votes.indices, self.ratings * f[self.rows], m),
            ]
        )
        self.blocks = self._statement_blocks()

    def split(self, x: NDArray) -> tuple[float, NDArray, NDArray, NDArray]:
        n, m = self.n, self.m
        return x[0], x[1 : 1 + n], x[1 + n : 1 + n + m], x[1 + n + m :]

    def solve(self, tolerance: float) -> NDArray:
        """x = (μ, b, c, g): CG on the reduced system, then b from its own rows."""
        n = self.n
        inverse_b = 1.0 / (self.per_row + self.lam.participant_intercept)
        rest = np.concatenate([self.right_side[:1], self.right_side[1 + n :]])
        b_side = self.right_side[1 : 1 + n]
        reduced_side = rest - self._from_b(inverse_b * b_side)
        if n * (1 + 2 * self.m) ** 2 <= DIRECT_SOLVE_UP_TO:
            y = np.linalg.solve(self._reduced_dense(inverse_b), reduced_side)
        else:
            y = _conjugate_gradients(
                # S y = H y − Pᵀ D⁻¹ P y, with D the diagonal b block and P the b rows' other
                # columns.
                lambda y: self._rest_block(y) - self._from_b(inverse_b * self._to_b(y)),
                reduced_side,
                self._reduced_preconditioner(inverse_b),
                tolerance,
            )
        b = inverse_b * (b_side - self._to_b(y))
        return np.concatenate([y[:1], b, y[1:]])

    def _reduced_dense(self, inverse_b: NDArray) -> NDArray:
        """S = H − Pᵀ D⁻¹ P as a dense matrix: `_rest_block` and `_to_b` written out."""
        n, m = self.n, self.m
        pattern = self.pattern.toarray()
        p = np.empty((n, 1 + 2 * m))
        p[:, 0], p[:, 1 : 1 + m], p[:, 1 + m :] = self.per_row, pattern, self.f[:, None] * pattern
        a11, a12, a22, _ = self.blocks
        h = np.zeros((1 + 2 * m, 1 + 2 * m))
        h[0, 0] = self.n_votes
        h[0, 1 : 1 + m] = h[1 : 1 + m, 0] = self.per_column
        h[0, 1 + m :] = h[1 + m :, 0] = self.f_sum
        c, g = np.arange(1, 1 + m), np.arange(1 + m, 1 + 2 * m)
        h[c, c], h[c, g], h[g, c], h[g, g] = a11, a12, a12, a22
        return h - p.T @ (inverse_b[:, None] * p)

    def _to_b(self, y: NDArray) -> NDArray:
        """P y: the b rows of AᵀA times (μ, c, g): Σ_j∈i (μ + c_j + f_i g_j)."""
        m = self.m
        by_intercept, by_factor = self.pattern @ y[1 : 1 + m], self.pattern @ y[1 + m :]
        return self.per_row * y[0] + by_intercept + self.f * by_factor

    def _from_b(self, z: NDArray) -> NDArray:
        """Pᵀ z: the (μ, c, g) rows of AᵀA times b = z."""
        return np.concatenate(
            [[self.per_row @ z], self.pattern_t @ z, self.pattern_t @ (self.f * z)]
        )

    def _rest_block(self, y: NDArray) -> NDArray:
        """H y: the (μ, c, g) block of AᵀA + Λ times y."""
        m = self.m
        mu, c, g = y[0], y[1 : 1 + m], y[1 + m :]
        a11, a12, a22, _ = self.blocks
        total = self.n_votes * mu + self.per_column @ c + self.f_sum @ g
        columns = self.per_column * mu + a11 * c + a12 * g
        factors = self.f_sum * mu + a12 * c + a22 * g
        return np.concatenate([[total], columns, factors])

    def _reduced_preconditioner(self, inverse_b: NDArray) -> Callable[[NDArray], NDArray]:
        """Exact inverse of the reduced system's diagonal blocks: μ, each (c_j, g_j)."""
        m = self.m
        a11, a12, a22, _ = self.blocks
        # What eliminating b takes off each block: Σ_i∈j (1, f_i, f_i²) / D_i.
        a11 = a11 - self.pattern_t @ inverse_b
        a12 = a12 - self.pattern_t @ (inverse_b * self.f)
        a22 = a22 - self.pattern_t @ (inverse_b * self.f**2)
        det = a11 * a22 - a12**2
        diagonal_mu = self.n_votes - self.per_row**2 @ inverse_b  # > 0: D_i > votes of i

        def solve(v: NDArray) -> NDArray:
            vc, vg = v[1 : 1 + m], v[1 + m :]
            return np.concatenate(
                [[v[0] / diagonal_mu], (a22 * vc - a12 * vg) / det, (a11 * vg - a12 * vc) / det]
            )

        return solve

    def _statement_blocks(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """Each statement's 2 × 2 block of AᵀA + Λ over (c_j, g_j), and its determinant."""
        a11 = self.per_column + self.lam.statement_intercept
        a12 = self.f_sum
        a22 = self.ff_sum + self.lam.statement_factor
        return a11, a12, a22, a11 * a22 - a12**2

    def intercept_variance_factor(self) -> NDArray:
        """[block⁻¹]₁₁ per statement: Var(c_j) / σ² given the other parameters."""
        _, _, a22, det = self.blocks
        return a22 / det

    def residual_variance(self, x: NDArray) -> float:
        """σ²: the mean squared residual of the fit over the votes."""
        mu, b, c, g = self.split(x)
        rows, columns = self.rows, self.pattern.indices
        residuals = self.ratings - mu - b[rows] - c[columns] - self.f[rows] * g[columns]
        return float(residuals @ residuals) / max(self.n_votes, 1)


def _conjugate_gradients(
    product: Callable[[NDArray], NDArray],
    right_side: NDArray,
    preconditioner: Callable[[NDArray], NDArray],
    tolerance: float,
) -> NDArray:
    """x with ‖right_side − product(x)‖ < tolerance · ‖right_side‖, by preconditioned CG from 0.

    The iteration of `scipy.sparse.linalg.cg` (the same operations in the same order, so
    the same iterates), without its operator wrappers and checks: with ten iterations on a
    few hundred unknowns those cost about as much as the products.
    """
    x = np.zeros_like(right_side)
    bound = tolerance * np.linalg.norm(right_side)
    if bound == 0:
        return x
    residual = right_side.copy()
    rho_before, direction = 1.0, np.zeros_like(right_side)
    for _ in range(MAX_ITERATIONS):
        if np.linalg.norm(residual) < bound:
            break
        z = preconditioner(residual)
        rho = np.dot(residual, z)
        direction *= rho / rho_before
        direction += z
        q = product(direction)
        alpha = rho / np.dot(direction, q)
        x += alpha * direction
        residual -= alpha * q
        rho_before = rho
    return x
