"""One latent opinion axis: a two-parameter logistic (ideal-point) model of agree vs disagree.

P(participant i agrees with statement j) = σ(a_j θ_i + b_j), θ_i the participant's place
on the axis, a_j how sharply statement j separates its two ends, b_j its overall appeal
(Birnbaum's 2PL; Clinton, Jackman & Rivers 2004 for votes). Passes are not observed, as in
the mixture. Fitted by joint maximum a posteriori with ridge penalties (θ ~ N(0, 1),
a ~ N(0, 1), b ~ N(0, 10)), alternating one Newton step for all statements (a 2×2
system each) with one for all participants (1-D each), from the first SVD axis. The
consult profile compares it with the groups on held-out votes: when it predicts them
as well, opinions form a spectrum rather than groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import log_expit

from clustering.mixture import Opinions
from clustering.pca import centred, top_right_singular

PENALTY_POSITION = 1.0  # θ ~ N(0, 1)
PENALTY_SLOPE = 1.0  # a ~ N(0, 1)
PENALTY_INTERCEPT = 0.1  # b ~ N(0, 10)
ITERATIONS = 25
TOLERANCE = 1e-3  # largest Newton step on θ or a below which the fit has converged
# Or: the log-posterior gains less than this per participant in an iteration, the EM
# tolerance of the mixture it is compared with (`model_choice.FOLD_TOLERANCE`). Steps
# of a few participants with few votes keep moving long after the fit has stopped
# improving: on the Polis conversations and the 50k bench the last 10 of 25 iterations
# gained 0.0002-0.002 per participant.
GAIN_TOLERANCE = 1e-3


@dataclass(frozen=True)
class TraitFit:
    """
    Attributes
    ----------
    position : ndarray of shape (n_participants,)
        θ, each participant's place on the axis.
    slope, intercept : ndarray of shape (n_statements,)
        a and b; the sign is fixed so the statement with the largest |a| has a > 0.
    """

    position: NDArray[np.float64]
    slope: NDArray[np.float64]
    intercept: NDArray[np.float64]

    def cell_log_likelihood(
        self, rows: NDArray, cols: NDArray, agreed: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Log-probability of each given vote (agree or disagree) under the fit."""
        eta = self.slope[cols] * self.position[rows] + self.intercept[cols]
        return np.where(agreed, log_expit(eta), log_expit(-eta))


def fit_trait(
    opinions: Opinions, *, random_state: int = 0, first_axis: NDArray | None = None
) -> TraitFit:
    """Fit the one-axis model to the agree and disagree votes.

    first_axis : ndarray of shape (n_participants,), optional
        The participants on the first SVD axis of these opinions, when the caller has it
        (the first column of `mixture.embed`: the same axis, scaled alike): the start,
        instead of a fresh SVD.
    """
    signed = opinions.signed
    n, m = signed.shape
    by_row = _Cells(signed.indptr, signed.indices, signed.data > 0)
    by_statement = signed.tocsc()
    by_column = _Cells(by_statement.indptr, by_statement.indices, by_statement.data > 0)
    theta = _first_axis(opinions, random_state) if first_axis is None else _standardised(first_axis)
    slope, intercept = np.zeros(m), np.zeros(m)
    previous = -np.inf
    for _ in range(ITERATIONS):
        # Statements: Newton on (a_j, b_j) with θ fixed; 2×2 systems solved in closed form.
        # The cells are taken statement by statement so each sum is over one run of cells.
        t = theta[by_column.other]
        p = _sigmoid(by_column.spread(slope) * t + by_column.spread(intercept))
        w, e = p * (1 - p), by_column.agreed - p
        wt = w * t
        g_a = by_column.sums(e * t) - PENALTY_SLOPE * slope
        g_b = by_column.sums(e) - PENALTY_INTERCEPT * intercept
        h_aa = by_column.sums(wt * t) + PENALTY_SLOPE
        h_ab = by_column.sums(wt)
        h_bb = by_column.sums(w) + PENALTY_INTERCEPT
        det = h_aa * h_bb - h_ab**2
        step_a = (h_bb * g_a - h_ab * g_b) / det
        slope = slope + step_a
        intercept = intercept + (h_aa * g_b - h_ab * g_a) / det
        # Participants: Newton on θ_i with the statements fixed, cells participant by participant.
        a = slope[by_row.other]
        p = _sigmoid(a * by_row.spread(theta) + intercept[by_row.other])
        posterior = _log_posterior(by_row, p, theta, slope, intercept)
        g = by_row.sums((by_row.agreed - p) * a) - PENALTY_POSITION * theta
        h = by_row.sums(p * (1 - p) * a * a) + PENALTY_POSITION
        step = g / h
        theta = theta + step
        if max(np.abs(step).max(initial=0), np.abs(step_a).max(initial=0)) < TOLERANCE:
            break
        if posterior - previous < GAIN_TOLERANCE * max(n, 1):
            break
        previous = posterior
    if m and slope[np.argmax(np.abs(slope))] < 0:
        slope, theta = -slope, -theta
    return TraitFit(theta, slope, intercept)


def _log_posterior(
    cells: _Cells, p: NDArray, theta: NDArray, slope: NDArray, intercept: NDArray
) -> float:
    """Log-likelihood of the votes (P(agree) = p per cell) plus the log-priors, up to a
    constant."""
    likelihood = np.log(np.maximum(np.where(cells.agreed > 0, p, 1 - p), TINY)).sum()
    prior = (
        PENALTY_POSITION * (theta @ theta)
        + PENALTY_SLOPE * (slope @ slope)
        + PENALTY_INTERCEPT * (intercept @ intercept)
    )
    return float(likelihood - prior / 2)


TINY = 1e-300  # floor of a probability before its log (the logistic rounds to 0 or 1)


def _sigmoid(x: NDArray) -> NDArray:
    """1 / (1 + e^−x), as (1 + tanh(x / 2)) / 2: equal to scipy's expit within a few 1e-16,
    and about 3 times faster, numpy's tanh being vectorised (the fit's main cost)."""
    return 0.5 + 0.5 * np.tanh(0.5 * x)


class _Cells:
    """The votes of a compressed sparse matrix, run by run (a run: one row, or one column).

    `other` is each cell's index on the other axis, `agreed` its vote (agree = True).
    Sums over runs by `np.add.reduceat` on contiguous cells: several times faster than
    `np.bincount` on sorted labels, whose adds into one bin wait on each other.
    """

    def __init__(self, indptr: NDArray, other: NDArray, agreed: NDArray[np.bool_]) -> None:
        self.other = other.astype(np.intp)  # gathers with int32 indices convert each time
        self.agreed = agreed.astype(np.float64)
        self.counts = np.diff(indptr)
        self.nonempty = self.counts > 0
        self.starts = indptr[:-1][self.nonempty]

    def spread(self, per_run: NDArray) -> NDArray:
        """Each run's value repeated on its cells."""
        return np.repeat(per_run, self.counts)

    def sums(self, per_cell: NDArray) -> NDArray:
        """Sum of the cells' values in each run (0 for a run without cells)."""
        out = np.zeros(len(self.counts))
        if len(self.starts):
            out[self.nonempty] = np.add.reduceat(per_cell, self.starts)
        return out


def _first_axis(opinions: Opinions, random_state: int) -> NDArray[np.float64]:
    """Participants on the first SVD axis of the centred opinions, standardised."""
    signed = opinions.signed
    n, m = signed.shape
    if min(n, m) < 2 or signed.nnz == 0:
        return np.zeros(n)
    matrix, _ = centred(signed)
    _, vectors = top_right_singular(matrix, 1, random_state=random_state)
    score = np.asarray(matrix @ vectors.reshape(m, -1)).ravel()
    return _standardised(score / np.sqrt(np.maximum(np.diff(signed.indptr), 1)))


def _standardised(score: NDArray) -> NDArray[np.float64]:
    """Mean 0 and standard deviation 1 (all 0 when the scores do not vary)."""
    spread = score.std()
    return (score - score.mean()) / spread if spread > 0 else np.zeros(len(score))
