"""Latent-class model of opinions: the `consult` profile's way to find opinion groups.

Each group g has, for each statement j, a probability θ_gj of agreeing rather than
disagreeing; a participant belongs to one group and votes independently given it (a
latent-class model, Lazarsfeld & Henry 1968). Passes and missing votes are not observed:
a tendency to pass is not an opinion, so it cannot make a group (the analysis reports
each group's pass rate apart). Beside the groups sits a background class of coin-flip
voters (θ = 1/2 everywhere, a fixed "noise" component as in Fraley & Raftery 1998), so
that people who vote at random are not an opinion group of their own. Fitted by EM on
the sparse matrix; the number of groups is chosen by cross-validation elsewhere
(`clustering.model_choice`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.utils.extmath import randomized_svd

from clustering.pca import centred

PRIOR = 1.0  # Beta(1, 1) pseudo-votes per group and statement: few votes stay near 1/2
BACKGROUND_START = 0.05  # starting responsibility of the background class
LOG_HALF = float(np.log(0.5))
SPLITS = 2  # groups of the k − 1 fit cut in two as starts for k (the largest ones)


@dataclass(frozen=True)
class Opinions:
    """Agree and disagree votes (passes left out) of n participants on m statements.

    Attributes
    ----------
    signed : csr_matrix of shape (n_participants, n_statements)
        +1.0 agree, −1.0 disagree; no other cell stored.
    answers : csr_matrix of shape (n_participants, 2 * n_statements)
        One 1.0 per vote: in column j for an agree with statement j, in column m + j for a
        disagree. One product with it gives both counts of the M-step and the whole
        log-likelihood of the E-step (a third cheaper than separate agree and voted
        indicators).
    """

    signed: sp.csr_matrix
    answers: sp.csr_matrix

    @classmethod
    def from_votes(cls, votes: sp.csr_matrix) -> Opinions:
        """From votes coded +1, −1, 0 (pass); passes are dropped."""
        opinion = votes.data != 0
        kept_before = np.concatenate([[0], np.cumsum(opinion)])
        indptr = kept_before[votes.indptr]
        indices = votes.indices[opinion]
        values = votes.data[opinion].astype(np.float64)
        n, m = votes.shape
        signed = sp.csr_matrix((values, indices, indptr), shape=(n, m))
        column = (indices + m * (values < 0)).astype(indices.dtype)
        answers = sp.csr_matrix((np.ones(len(values)), column, indptr.copy()), shape=(n, 2 * m))
        return cls(signed, answers)

    @property
    def n_participants(self) -> int:
        return self.signed.shape[0]

    @property
    def n_statements(self) -> int:
        return self.signed.shape[1]


@dataclass(frozen=True)
class MixtureFit:
    """
    Attributes
    ----------
    weights : ndarray of shape (n_groups + 1,)
        Group weights; the last is the background (coin-flip) class.
    agree : ndarray of shape (n_groups, n_statements)
        P(agree | group, agree or disagree).
    responsibilities : ndarray of shape (n_participants, n_groups + 1)
    log_likelihood : float
    converged : bool
        EM stopped because the log-likelihood gained less than its tolerance, not at
        its iteration cap.
    """

    weights: NDArray[np.float64]
    agree: NDArray[np.float64]
    responsibilities: NDArray[np.float64]
    log_likelihood: float
    converged: bool = True

    @property
    def n_groups(self) -> int:
        return len(self.agree)

    @property
    def membership(self) -> NDArray[np.float64]:
        """Probability of each group, background left out: shape (n_participants, n_groups)."""
        return self.responsibilities[:, :-1]


def fit(
    opinions: Opinions,
    responsibilities: NDArray[np.float64],
    *,
    tol: float = 1e-4,
    max_iter: int = 200,
    log_likelihood: float = -np.inf,
) -> MixtureFit:
    """EM from starting responsibilities of shape (n_participants, n_groups + 1).

    Stops when the log-likelihood gains less than `tol` per participant in an iteration.
    `log_likelihood` is that of the fit the responsibilities came from, when EM resumes
    one: the first iteration's gain is then measured from it.
    """
    return fit_each(
        opinions, [responsibilities], tol=tol, max_iter=max_iter, log_likelihoods=[log_likelihood]
    )[0]


def fit_each(
    opinions: Opinions,
    starts: list[NDArray[np.float64]],
    *,
    tol: float = 1e-4,
    max_iter: int = 200,
    log_likelihoods: list[float] | None = None,
) -> list[MixtureFit]:
    """`fit` from each start, the starts run side by side: the same fits, for less time.

    The sparse products of every running start are one product with their columns side by
    side (40–50 % cheaper for three starts than one product each: the vote matrix is read
    once); everything else is computed start by start, as `fit` would. A start stops on
    its own, when its own log-likelihood gains less than `tol` per participant.
    """
    r = list(starts)
    n = max(opinions.n_participants, 1)
    previous = list(log_likelihoods) if log_likelihoods else [-np.inf] * len(r)
    fits: dict[int, MixtureFit] = {}
    running = list(range(len(r)))
    for _ in range(max_iter):
        estimates = [
            _estimates(r[s], counts)
            for s, counts in zip(running, _counts(opinions, [r[s] for s in running]), strict=True)
        ]
        log_joints = _log_joints(opinions, estimates)
        still = []
        for s, (weights, agree), log_joint in zip(running, estimates, log_joints, strict=True):
            r[s], log_likelihood = _normalised(log_joint)
            gaining = log_likelihood - previous[s] > tol * n
            fits[s] = MixtureFit(weights, agree, r[s], log_likelihood, converged=not gaining)
            if gaining:
                previous[s] = log_likelihood
                still.append(s)
        running = still
        if not running:
            break
    return [fits[s] for s in range(len(r))]


def posterior(opinions: Opinions, weights: NDArray, agree: NDArray) -> NDArray[np.float64]:
    """Responsibilities of each participant under given parameters (one E-step)."""
    return posteriors(opinions, [(weights, agree)])[0][0]


def posteriors(
    opinions: Opinions, parameters: list[tuple[NDArray, NDArray]]
) -> list[tuple[NDArray[np.float64], float]]:
    """Responsibilities and the log-likelihood of the votes under each of several
    (weights, agree), with one sparse product."""
    return [_normalised(log_joint) for log_joint in _log_joints(opinions, parameters)]


def cell_log_likelihood(
    fitted: MixtureFit, rows: NDArray, cols: NDArray, agreed: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Log-probability of each given vote (agree or disagree) under the fit.

    The predictive probability mixes the groups by the participant's responsibilities,
    which came from the votes the fit saw; for held-out votes this is a fair score.
    """
    r = fitted.responsibilities[rows]
    theta = fitted.agree[:, cols]  # (n_groups, n_cells)
    p_agree = np.einsum("nk,kn->n", r[:, :-1], theta) + 0.5 * r[:, -1]
    return np.log(np.where(agreed, p_agree, 1.0 - p_agree))


def embed(opinions: Opinions, random_state: int) -> NDArray[np.float64]:
    """Participants in a 10-D SVD embedding of the centred opinions, scaled as in §4.4.

    Ten axes rather than the map's two: two axes cannot hold more than three groups apart.
    Used only to start EM.
    """
    signed = opinions.signed
    matrix, _ = centred(signed)
    dims = max(1, min(10, min(matrix.shape) - 1))
    u, s, _ = randomized_svd(matrix, n_components=dims, n_iter=4, random_state=random_state)
    scale = 1.0 / np.sqrt(np.maximum(np.diff(signed.indptr), 1))
    return u * s * scale[:, None] * np.sqrt(signed.shape[1])


def hard_start(labels: NDArray, n_groups: int) -> NDArray[np.float64]:
    """Responsibilities from a labelling: mostly the label, a little background."""
    r = np.eye(n_groups)[labels] * 0.9 + 0.1 / n_groups
    return np.column_stack([r * (1 - BACKGROUND_START), np.full(len(r), BACKGROUND_START)])


def start_points(
    embedding: NDArray, n_groups: int, *, n_starts: int, random_state: int
) -> list[NDArray[np.float64]]:
    """Starting responsibilities from k-means in the embedding, one per start."""
    n = len(embedding)
    if n_groups == 1:
        return [hard_start(np.zeros(n, dtype=np.int64), 1)]
    if not _distinct_rows(embedding, n_groups):
        # Fewer distinct voting patterns than groups: soft random starts, seeded.
        rng = np.random.default_rng(random_state)
        return [
            np.column_stack([rng.dirichlet(np.ones(n_groups), size=n) * 0.95, np.full(n, 0.05)])
            for _ in range(n_starts)
        ]
    return [
        hard_start(_kmeans(embedding, n_groups, random_state + start), n_groups)
        for start in range(n_starts)
    ]


def split_starts(
    fewer: MixtureFit, embedding: NDArray, random_state: int
) -> list[NDArray[np.float64]]:
    """Starting responsibilities for one group more: a group of a fit cut in two.

    The `SPLITS` largest groups are tried, each cut by 2-means. With these among the
    starts, a fit with k groups can always do what the fit with k − 1
    did and more, so a poor k-means start cannot make k look worse than k − 1.
    """
    starts = []
    new = fewer.n_groups
    assigned = fewer.membership.argmax(axis=1)
    largest = np.argsort(-np.bincount(assigned, minlength=new), kind="stable")
    for group in largest[:SPLITS]:
        labels = assigned.copy()
        inside = np.flatnonzero(labels == group)
        if not _distinct_rows(embedding[inside], 2):
            continue
        halves = _kmeans(embedding[inside], 2, random_state)
        labels[inside[halves == 1]] = new
        starts.append(hard_start(labels, new + 1))
    return starts


SCREEN_ITERATIONS = 5


def best_fit(
    opinions: Opinions,
    starts: list[NDArray[np.float64]],
    *,
    max_iter: int = 200,
    tol: float = 1e-4,
    screen: int = SCREEN_ITERATIONS,
) -> MixtureFit:
    """The best of several starts: each runs a few EM iterations, the best runs on.

    "Short runs then one long run" (Biernacki, Celeux & Govaert 2003): most of the cost
    of many starts, with nearly the same chance of the best optimum. A best start that
    has converged within the short run is not run again, and one that has not resumes
    where it stopped.
    """
    if len(starts) == 1:
        return fit(opinions, starts[0], max_iter=max_iter, tol=tol)
    short = fit_each(opinions, starts, max_iter=screen, tol=tol)
    best = max(short, key=lambda f: f.log_likelihood)
    if best.converged:
        return best
    return fit(
        opinions,
        best.responsibilities,
        max_iter=max_iter,
        tol=tol,
        log_likelihood=best.log_likelihood,
    )


def _m_step(opinions: Opinions, r: NDArray) -> tuple[NDArray, NDArray]:
    """Weights and P(agree) from responsibilities r of shape (n_participants, n_groups + 1)."""
    return _estimates(r, _counts(opinions, [r])[0])


def _counts(opinions: Opinions, rs: list[NDArray]) -> list[NDArray]:
    """Soft agree counts (columns :m) and disagree counts (m:) of each group, shape
    (n_groups, 2 m), for each set of responsibilities: one sparse product for all."""
    groups = np.hstack([r[:, :-1] for r in rs])
    counts = np.asarray(opinions.answers.T @ groups).T
    return np.vsplit(counts, np.cumsum([r.shape[1] - 1 for r in rs])[:-1])


def _estimates(r: NDArray, counts: NDArray) -> tuple[NDArray, NDArray]:
    """Weights and P(agree) from soft counts, with the Beta(PRIOR, PRIOR) prior.

    Weights carry one pseudo-member per class (a Dirichlet(2) prior) so none reaches 0.
    """
    m = counts.shape[1] // 2
    agreed, disagreed = counts[:, :m], counts[:, m:]
    agree = (agreed + PRIOR) / (agreed + disagreed + 2 * PRIOR)
    weights = (r.sum(axis=0) + 1.0) / (r.shape[0] + r.shape[1])
    return weights, agree


def _log_joints(opinions: Opinions, parameters: list[tuple[NDArray, NDArray]]) -> list[NDArray]:
    """log P(votes_i, class) for every participant and class, background last, under each
    (weights, agree): one sparse product for all."""
    log_answers = np.vstack(
        [np.concatenate([np.log(agree), np.log1p(-agree)], axis=1) for _, agree in parameters]
    )  # (total groups, 2 m)
    products = opinions.answers @ np.ascontiguousarray(log_answers.T)
    groups = np.hsplit(products, np.cumsum([len(agree) for _, agree in parameters])[:-1])
    background = np.diff(opinions.answers.indptr) * LOG_HALF
    return [
        np.column_stack([g, background]) + np.log(weights)[None, :]
        for g, (weights, _) in zip(groups, parameters, strict=True)
    ]


def _normalised(log_joint: NDArray) -> tuple[NDArray[np.float64], float]:
    """Responsibilities from log P(votes_i, class), and the log-likelihood of the votes."""
    # log Σ_k exp, shifted by the row maximum (plain numpy: scipy's logsumexp is slower);
    # the shifted exponentials normalised are the responsibilities.
    top = _by_columns(np.maximum, log_joint)
    shifted = np.exp(log_joint - top[:, None])
    row_sums = _by_columns(np.add, shifted)
    return shifted / row_sums[:, None], float((top + np.log(row_sums)).sum())


def _by_columns(operation: np.ufunc, values: NDArray) -> NDArray:
    """`operation` reduced along each row, taken column by column.

    On a few columns (one per class) this is 6–10 times faster than `.max(axis=1)` or
    `.sum(axis=1)`, which pay a call per row; the additions run in the same order.
    """
    out = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        operation(out, values[:, column], out=out)
    return out


def _distinct_rows(points: NDArray, count: int) -> bool:
    """Whether at least `count` rows differ (to 9 decimals): one vectorised pass per row
    found, where `np.unique(axis=0)` sorts them all."""
    left = np.round(points, 9)
    for _ in range(count):
        if len(left) == 0:
            return False
        left = left[(left != left[0]).any(axis=1)]
    return True


def _kmeans(points: NDArray, k: int, random_state: int, iterations: int = 15) -> NDArray[np.int64]:
    """Labels of Lloyd's k-means from a k-means++ start (Arthur & Vassilvitskii 2007), seeded.

    A few lines of numpy: on a thousand points in 10-D this is cheaper than scikit-learn's
    OpenMP version on a shared machine, and only starts EM.
    """
    rng = np.random.default_rng(random_state)
    centres = [points[rng.integers(len(points))]]
    nearest = ((points - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = nearest.sum()
        pick = (
            rng.choice(len(points), p=nearest / total) if total > 0 else rng.integers(len(points))
        )
        centres.append(points[pick])
        nearest = np.minimum(nearest, ((points - points[pick]) ** 2).sum(axis=1))
    centres = np.array(centres)
    labels = np.zeros(len(points), dtype=np.int64)
    squared = (points**2).sum(axis=1)[:, None]
    for iteration in range(iterations):
        distances = squared - 2 * points @ centres.T + (centres**2).sum(axis=1)
        new = distances.argmin(axis=1)
        if iteration and np.array_equal(new, labels):
            break
        labels = new
        # Each centre is its members' mean (members in their order, as a mask would take
        # them), from one sort instead of a mask per centre; an empty group keeps its centre.
        order = np.argsort(labels, kind="stable")
        sizes = np.bincount(labels, minlength=k)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        filled = sizes > 0
        sums = np.add.reduceat(points[order], starts[filled], axis=0)
        centres[filled] = sums / sizes[filled][:, None]
    return labels
