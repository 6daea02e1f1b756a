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

from clustering.matrix import cell_rows, indicator
from clustering.pca import centred

PRIOR = 1.0  # Dirichlet pseudocount per outcome: a statement seen by few stays near uniform
# How strongly a group's pass rate on a statement is pulled toward the statement's overall
# pass rate, in pseudo-votes; the strength is chosen on held-out votes (0 = no pull).
PASS_STRENGTHS = (0.0, 3.0, 10.0, 30.0, 100.0, 1000.0)


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
    pass_strength: float = 0.0,
    tol: float = 1e-5,
    max_iter: int = 300,
) -> MixtureFit:
    """EM from starting responsibilities of shape (n_participants, n_groups)."""
    r = responsibilities
    previous = -np.inf
    n = indicators.n_participants
    for iteration in range(1, max_iter + 1):  # noqa: B007 -- read after the loop as n_iter
        weights, probabilities = _m_step(indicators, r, pass_strength)
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


def split_starts(
    fewer: MixtureFit, embedding: NDArray, random_state: int
) -> list[NDArray[np.float64]]:
    """Starting responsibilities for one group more: each group of a fit, cut in two.

    With these among the starts, a fit with k groups can always do what the fit with k − 1
    did and more, so a poor k-means start cannot make k look worse than k − 1.
    """
    starts = []
    new = fewer.n_groups
    assigned = fewer.responsibilities.argmax(axis=1)
    for group in range(new):
        labels = assigned.copy()
        inside = np.flatnonzero(labels == group)
        if len(np.unique(np.round(embedding[inside], 9), axis=0)) < 2:
            continue
        halves = KMeans(2, n_init=1, max_iter=50, random_state=random_state).fit_predict(
            embedding[inside]
        )
        labels[inside[halves == 1]] = new
        starts.append(np.eye(new + 1)[labels] * 0.9 + 0.1 / (new + 1))
    return starts


def best_fit(
    indicators: Indicators,
    embedding: NDArray,
    n_groups: int,
    *,
    n_starts: int,
    random_state: int,
    pass_strength: float = 0.0,
    extra_starts: tuple[NDArray, ...] = (),
) -> MixtureFit:
    """The fit with the highest likelihood over several starts."""
    starts = [
        *start_points(embedding, n_groups, n_starts=n_starts, random_state=random_state),
        *extra_starts,
    ]
    fits = [fit(indicators, r, pass_strength=pass_strength) for r in starts]
    return max(fits, key=lambda f: f.log_likelihood)


def _m_step(indicators: Indicators, r: NDArray, pass_strength: float) -> tuple[NDArray, NDArray]:
    """Weights and (agree, disagree, pass) probabilities from soft counts.

    P(pass) and P(agree | not pass) are estimated apart: the pass rate with `pass_strength`
    pseudo-votes at the statement's overall pass rate, the agree share with the Dirichlet
    prior alone. With no pull this is exactly the Dirichlet(PRIOR) estimate of the three.
    """
    counts = np.stack(
        [np.asarray(m.T @ r).T for m in (indicators.agree, indicators.disagree, indicators.passes)],
        axis=-1,
    )  # (n_groups, n_statements, 3)
    agree, disagree, passes = counts[..., 0], counts[..., 1], counts[..., 2]
    seen = counts.sum(axis=-1)
    overall = (passes.sum(axis=0) + PRIOR) / (seen.sum(axis=0) + 3 * PRIOR)  # (n_statements,)
    pass_rate = (passes + PRIOR + pass_strength * overall) / (seen + 3 * PRIOR + pass_strength)
    agree_share = (agree + PRIOR) / (agree + disagree + 2 * PRIOR)
    probabilities = np.stack(
        [(1 - pass_rate) * agree_share, (1 - pass_rate) * (1 - agree_share), pass_rate], axis=-1
    )
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
    pass_strength: float  # chosen on the same held-out votes, at the first split


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
    rows = cell_rows(votes)[held]
    cols = votes.indices[held]
    outcome = np.where(votes.data[held] > 0, 0, np.where(votes.data[held] < 0, 1, 2))

    def held_out_score(fitted: MixtureFit) -> NDArray:
        """Log-likelihood of each participant's held-out votes under the fit."""
        r = fitted.responsibilities[rows]
        p = np.einsum("nk,kn->n", r, fitted.probabilities[:, cols, outcome])
        return np.bincount(rows, weights=np.log(p), minlength=votes.shape[0])

    scores: dict[int, NDArray] = {}
    fits: dict[int, MixtureFit] = {}
    z_gain: dict[int, float] = {}
    chosen, pass_strength = 1, 0.0
    for k in range(1, max_groups + 1):
        splits = tuple(split_starts(fits[k - 1], embedding, random_state)) if k > 2 else ()
        fits[k] = best_fit(
            train_indicators,
            embedding,
            k,
            n_starts=n_starts,
            random_state=random_state,
            pass_strength=pass_strength,
            extra_starts=splits,
        )
        if k == 2:
            # Whether passes tell groups apart is the conversation's, not k's: settle the
            # pull on the first split, then compare every k under it.
            refits = {
                s: fit(train_indicators, fits[2].responsibilities, pass_strength=s)
                for s in PASS_STRENGTHS
            }
            pass_strength = max(refits, key=lambda s: held_out_score(refits[s]).sum())
            fits[2] = refits[pass_strength]
        scores[k] = held_out_score(fits[k])
        if k == 1:
            continue
        gain = scores[k] - scores[chosen]
        se = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
        z_gain[k] = float(gain.mean() / se) if se > 0 else 0.0
        if z_gain[k] > Z_TO_ADD_A_GROUP:
            chosen = k
        elif k >= chosen + 2:
            break  # two more groups did not help: more will not either
    final = fit(
        Indicators.from_votes(votes), fits[chosen].responsibilities, pass_strength=pass_strength
    )
    return Selection(final, {k: float(v.mean()) for k, v in scores.items()}, z_gain, pass_strength)


def _drop_value(matrix: sp.csr_matrix, value: int) -> sp.csr_matrix:
    keep = matrix.data != value
    rows = cell_rows(matrix)[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))])
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)
