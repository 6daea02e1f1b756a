"""Latent-class model of the votes: the `consult` profile's way to find opinion groups.

Each group k has, for each statement j, probabilities of agree, disagree and pass; a
participant belongs to one group, and votes independently given it. Missing votes are
simply not observed (the model never imputes them). Fitted by EM on the sparse matrix;
the number of groups is chosen on held-out votes: a group more is kept only when it
predicts votes the fit never saw clearly better (z > 2 over participants), so that one
group is the answer when the votes show no real division.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import logsumexp
from sklearn.cluster import KMeans
from sklearn.utils.extmath import randomized_svd

from clustering.matrix import indicator
from clustering.pca import centred

PRIOR = 1.0  # Dirichlet pseudocount per outcome: a statement seen by few stays near uniform


@dataclass(frozen=True)
class Indicators:
    """One 0/1 sparse matrix per outcome, each of shape (n_participants, n_statements)."""

    agree: sp.csr_matrix
    disagree: sp.csr_matrix
    passes: sp.csr_matrix

    @classmethod
    def from_votes(cls, votes: sp.csr_matrix) -> Indicators:
        data = votes.data
        return cls(indicator(votes, data > 0), indicator(votes, data < 0), indicator(votes, data == 0))

    def rows(self, index: NDArray) -> Indicators:
        return Indicators(self.agree[index], self.disagree[index], self.passes[index])

    @property
    def n_participants(self) -> int:
        return self.agree.shape[0]


@dataclass(frozen=True)
class MixtureFit:
    """
    Attributes
    ----------
    weights : ndarray of shape (n_groups,)
    probabilities : ndarray of shape (n_groups, n_statements, 3)
        Agree, disagree, pass.
    responsibilities : ndarray of shape (n_participants, n_groups)
    log_likelihood : float
    n_iter : int
    """

    weights: NDArray[np.float64]
    probabilities: NDArray[np.float64]
    responsibilities: NDArray[np.float64]
    log_likelihood: float
    n_iter: int

    @property
    def n_groups(self) -> int:
        return len(self.weights)

    def bic(self, n_participants: int) -> float:
        n_statements = self.probabilities.shape[1]
        n_parameters = (self.n_groups - 1) + self.n_groups * n_statements * 2
        return -2 * self.log_likelihood + n_parameters * np.log(max(n_participants, 2))


def fit(
    indicators: Indicators,
    responsibilities: NDArray[np.float64],
    *,
    tol: float = 1e-5,
    max_iter: int = 300,
) -> MixtureFit:
    """EM from starting responsibilities of shape (n_participants, n_groups)."""
    r = responsibilities
    previous = -np.inf
    n = indicators.n_participants
    for iteration in range(1, max_iter + 1):  # noqa: B007 -- read after the loop as n_iter
        weights, probabilities = _m_step(indicators, r)
        log_joint = _log_joint(indicators, weights, probabilities)
        total = logsumexp(log_joint, axis=1)
        log_likelihood = float(total.sum())
        r = np.exp(log_joint - total[:, None])
        if log_likelihood - previous <= tol * max(n, 1):
            break
        previous = log_likelihood
    return MixtureFit(weights, probabilities, r, log_likelihood, iteration)


def posterior(indicators: Indicators, weights: NDArray, probabilities: NDArray) -> NDArray[np.float64]:
    """Responsibilities of each participant under given parameters (one E-step)."""
    log_joint = _log_joint(indicators, weights, probabilities)
    return np.exp(log_joint - logsumexp(log_joint, axis=1)[:, None])


def embed(votes: sp.csr_matrix, random_state: int) -> NDArray[np.float64]:
    """Participants in a 10-D SVD embedding of the centred votes, scaled as in §4.4.

    Ten axes rather than the map's two: two axes cannot hold more than three groups apart.
    """
    matrix, _ = centred(votes)
    dims = max(1, min(10, min(matrix.shape) - 1))
    u, s, _ = randomized_svd(matrix, n_components=dims, n_iter=4, random_state=random_state)
    scale = 1.0 / np.sqrt(np.maximum(np.diff(votes.indptr), 1))
    return u * s * scale[:, None] * np.sqrt(votes.shape[1])


def start_points(
    embedding: NDArray, n_groups: int, *, n_starts: int, random_state: int
) -> list[NDArray[np.float64]]:
    """Starting responsibilities from k-means in the embedding, one per start."""
    n = len(embedding)
    if n_groups == 1:
        return [np.ones((n, 1))]
    if len(np.unique(np.round(embedding, 9), axis=0)) < n_groups:
        # Fewer distinct voting patterns than groups: soft random starts, seeded.
        rng = np.random.default_rng(random_state)
        return [rng.dirichlet(np.ones(n_groups), size=n) for _ in range(n_starts)]
    starts = []
    for start in range(n_starts):
        labels = KMeans(n_groups, n_init=1, max_iter=50, random_state=random_state + start).fit_predict(embedding)
        starts.append(np.eye(n_groups)[labels] * 0.9 + 0.1 / n_groups)
    return starts


def best_fit(
    indicators: Indicators, embedding: NDArray, n_groups: int, *, n_starts: int, random_state: int
) -> MixtureFit:
    """The fit with the highest likelihood over several starts."""
    fits = [
        fit(indicators, r)
        for r in start_points(embedding, n_groups, n_starts=n_starts, random_state=random_state)
    ]
    return max(fits, key=lambda f: f.log_likelihood)


def _m_step(indicators: Indicators, r: NDArray) -> tuple[NDArray, NDArray]:
    counts = np.stack(
        [np.asarray(m.T @ r).T for m in (indicators.agree, indicators.disagree, indicators.passes)],
        axis=-1,
    )  # (n_groups, n_statements, 3)
    probabilities = (counts + PRIOR) / (counts.sum(axis=-1, keepdims=True) + 3 * PRIOR)
    weights = (r.sum(axis=0) + 1.0) / (r.shape[0] + r.shape[1])
    return weights, probabilities


def _log_joint(indicators: Indicators, weights: NDArray, probabilities: NDArray) -> NDArray:
    log_p = np.log(probabilities)
    return (
        indicators.agree @ log_p[:, :, 0].T
        + indicators.disagree @ log_p[:, :, 1].T
        + indicators.passes @ log_p[:, :, 2].T
        + np.log(weights)[None, :]
    )


@dataclass(frozen=True)
class Selection:
    """The chosen fit, and the held-out score of each number of groups tried."""

    fit: MixtureFit
    held_out: dict[int, float]  # mean held-out log-likelihood per participant, by n_groups
    z_gain: dict[int, float]  # z of each k's gain over the best smaller k


HELD_OUT_SHARE = 0.1
Z_TO_ADD_A_GROUP = 2.0


def select(
    votes: sp.csr_matrix, max_groups: int, *, n_starts: int = 2, random_state: int = 0
) -> Selection:
    """Fit 1..max_groups groups on 90 % of the votes, choose by the other 10 %, refit on all."""
    rng = np.random.default_rng(random_state)
    held = rng.random(votes.nnz) < HELD_OUT_SHARE
    train = sp.csr_matrix(
        (votes.data.copy(), votes.indices.copy(), votes.indptr.copy()), shape=votes.shape
    )
    train.data[held] = 2  # a value no vote has: dropped below
    train = _drop_value(train, 2)
    train_indicators = Indicators.from_votes(train)
    embedding = embed(train, random_state)
    rows = np.repeat(np.arange(votes.shape[0]), np.diff(votes.indptr))[held]
    cols = votes.indices[held]
    outcome = np.where(votes.data[held] > 0, 0, np.where(votes.data[held] < 0, 1, 2))

    scores: dict[int, NDArray] = {}
    fits: dict[int, MixtureFit] = {}
    z_gain: dict[int, float] = {}
    chosen = 1
    for k in range(1, max_groups + 1):
        fits[k] = best_fit(train_indicators, embedding, k, n_starts=n_starts, random_state=random_state)
        r = fits[k].responsibilities[rows]
        p = np.einsum("nk,kn->n", r, fits[k].probabilities[:, cols, outcome])
        scores[k] = np.bincount(rows, weights=np.log(p), minlength=votes.shape[0])
        if k == 1:
            continue
        gain = scores[k] - scores[chosen]
        se = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
        z_gain[k] = float(gain.mean() / se) if se > 0 else 0.0
        if z_gain[k] > Z_TO_ADD_A_GROUP:
            chosen = k
        elif k >= chosen + 2:
            break  # two more groups did not help: more will not either
    final = fit(Indicators.from_votes(votes), fits[chosen].responsibilities)
    return Selection(final, {k: float(v.mean()) for k, v in scores.items()}, z_gain)


def _drop_value(matrix: sp.csr_matrix, value: int) -> sp.csr_matrix:
    keep = matrix.data != value
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))])
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)
