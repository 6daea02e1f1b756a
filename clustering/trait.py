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
from scipy.special import expit, log_expit

from clustering.matrix import cell_rows
from clustering.mixture import Opinions
from clustering.pca import centred, top_right_singular

PENALTY_POSITION = 1.0  # θ ~ N(0, 1)
PENALTY_SLOPE = 1.0  # a ~ N(0, 1)
PENALTY_INTERCEPT = 0.1  # b ~ N(0, 10)
ITERATIONS = 25
TOLERANCE = 1e-3  # largest Newton step on θ or a below which the fit has converged


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


def fit_trait(opinions: Opinions, *, random_state: int = 0) -> TraitFit:
    """Fit the one-axis model to the agree and disagree votes."""
    n, m = opinions.agree.shape
    voted = opinions.voted
    rows, cols = cell_rows(voted), voted.indices
    y = (opinions.signed.data > 0).astype(np.float64)
    theta = _first_axis(opinions, random_state)
    slope, intercept = np.zeros(m), np.zeros(m)
    for _ in range(ITERATIONS):
        # Statements: Newton on (a_j, b_j) with θ fixed; 2×2 systems solved in closed form.
        t = theta[rows]
        p = expit(slope[cols] * t + intercept[cols])
        w, e = p * (1 - p), y - p
        g_a = np.bincount(cols, e * t, m) - PENALTY_SLOPE * slope
        g_b = np.bincount(cols, e, m) - PENALTY_INTERCEPT * intercept
        h_aa = np.bincount(cols, w * t * t, m) + PENALTY_SLOPE
        h_ab = np.bincount(cols, w * t, m)
        h_bb = np.bincount(cols, w, m) + PENALTY_INTERCEPT
        det = h_aa * h_bb - h_ab**2
        step_a = (h_bb * g_a - h_ab * g_b) / det
        slope = slope + step_a
        intercept = intercept + (h_aa * g_b - h_ab * g_a) / det
        # Participants: Newton on θ_i with the statements fixed.
        a = slope[cols]
        p = expit(a * theta[rows] + intercept[cols])
        g = np.bincount(rows, (y - p) * a, n) - PENALTY_POSITION * theta
        h = np.bincount(rows, p * (1 - p) * a * a, n) + PENALTY_POSITION
        step = g / h
        theta = theta + step
        if max(np.abs(step).max(initial=0), np.abs(step_a).max(initial=0)) < TOLERANCE:
            break
    if m and slope[np.argmax(np.abs(slope))] < 0:
        slope, theta = -slope, -theta
    return TraitFit(theta, slope, intercept)


def _first_axis(opinions: Opinions, random_state: int) -> NDArray[np.float64]:
    """Participants on the first SVD axis of the centred opinions, standardised."""
    signed = opinions.signed
    n, m = signed.shape
    if min(n, m) < 2 or signed.nnz == 0:
        return np.zeros(n)
    matrix, _ = centred(signed)
    _, vectors = top_right_singular(matrix, 1, random_state=random_state)
    score = np.asarray(matrix @ vectors.reshape(m, -1)).ravel()
    score = score / np.sqrt(np.maximum(np.diff(signed.indptr), 1))
    spread = score.std()
    return (score - score.mean()) / spread if spread > 0 else np.zeros(n)
