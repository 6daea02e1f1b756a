"""Synthetic conversations with planted opinion groups, and the oracle that knows them.

Used to measure how well a grouping recovers real structure: participants vote on a
long-tailed number of statements; each group has its own agree/disagree/pass
probabilities per statement, except a share of consensus statements where all groups
share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from clustering.matrix import VoteMatrix, from_records


@dataclass(frozen=True)
class SyntheticConversation:
    """
    Attributes
    ----------
    matrix : VoteMatrix
    groups : ndarray of shape (n_participants,)
        The planted group of each row of the matrix.
    weights : ndarray of shape (n_groups,)
    probabilities : ndarray of shape (n_groups, n_statements, 3)
        P(agree), P(disagree), P(pass) for each group and statement.
    """

    matrix: VoteMatrix
    groups: NDArray[np.int64]
    weights: NDArray[np.float64]
    probabilities: NDArray[np.float64]


def generate(
    n_participants: int = 1000,
    n_statements: int = 200,
    n_groups: int = 3,
    *,
    mean_votes: float = 30.0,
    consensus_share: float = 0.3,
    pass_rate: float = 0.15,
    separation: float = 1.0,
    random_state: int = 0,
) -> SyntheticConversation:
    """Draw a conversation.

    Parameters
    ----------
    mean_votes : float
        Mean votes per participant; counts are log-normal (long-tailed), at least 1.
    consensus_share : float
        Share of statements on which every group has the same probabilities.
    separation : float
        0 makes all groups identical (no real division); 1 draws each group's leaning
        independently.
    """
    rng = np.random.default_rng(random_state)
    weights = rng.dirichlet(np.full(n_groups, 4.0)) if n_groups > 1 else np.ones(1)
    shared = rng.beta(2, 2, size=n_statements)
    own = rng.beta(0.6, 0.6, size=(n_groups, n_statements))
    lean = np.where(
        rng.random(n_statements) < consensus_share,
        shared,
        (1 - separation) * shared + separation * own,
    )
    agree = (1 - pass_rate) * lean
    probabilities = np.stack(
        [agree, (1 - pass_rate) - agree, np.full_like(agree, pass_rate)], axis=-1
    )

    groups = rng.choice(n_groups, size=n_participants, p=weights)
    sigma = 0.9
    counts = rng.lognormal(np.log(mean_votes) - sigma**2 / 2, sigma, size=n_participants)
    counts = np.clip(np.round(counts), 1, n_statements).astype(int)
    voters, statements, values = [], [], []
    for i, (group, count) in enumerate(zip(groups, counts, strict=True)):
        seen = rng.choice(n_statements, size=count, replace=False)
        cumulative = np.cumsum(probabilities[group, seen], axis=1)
        choice = (rng.random(count)[:, None] > cumulative).sum(axis=1)
        voters.append(np.full(count, i))
        statements.append(seen)
        values.append(np.array([1, -1, 0])[np.minimum(choice, 2)])
    matrix = from_records(
        np.concatenate(voters),
        np.concatenate(statements),
        np.concatenate(values),
        statement_ids=np.arange(n_statements),
    )
    return SyntheticConversation(matrix, groups[matrix.participant_ids], weights, probabilities)


def oracle_labels(conversation: SyntheticConversation) -> NDArray[np.int64]:
    """Each participant's most probable group given the true probabilities: the best any
    method can do from these votes."""
    votes = conversation.matrix.votes.tocoo()
    log_p = np.log(conversation.probabilities)
    value_index = np.where(votes.data > 0, 0, np.where(votes.data < 0, 1, 2))
    scores = np.tile(np.log(conversation.weights), (votes.shape[0], 1))
    np.add.at(scores, votes.row, log_p[:, votes.col, value_index].T)
    return np.argmax(scores, axis=1)


@dataclass(frozen=True)
class Planted:
    """
    Attributes
    ----------
    matrix : VoteMatrix
    groups : ndarray of shape (n_participants,)
        The planted group of each row; −1 for random voters, 0 for everyone when there
        are no groups (no structure, or a spectrum).
    position : ndarray of shape (n_participants,)
        The place on the latent axis (spectrum), else zeros.
    """

    matrix: VoteMatrix
    groups: NDArray[np.int64]
    position: NDArray[np.float64]


KINDS = ("independent", "pass_prone", "spectrum", "groups", "unequal", "random_voters")


def planted(
    kind: str,
    n_participants: int = 500,
    n_statements: int = 50,
    *,
    n_groups: int = 3,
    vote_share: float = 0.6,
    pass_rate: float = 0.15,
    random_state: int = 0,
) -> Planted:
    """Draw a conversation of a known kind, to test whether a grouping tells them apart.

    Everyone sees each statement with probability `vote_share`, then passes with their
    pass rate, else agrees with the probability the kind gives:

    - "independent": no structure; P(agree) ~ Beta(2, 2) per statement, the same for all.
    - "pass_prone": the same, but each person's pass rate ~ Beta(0.5, 1) (some pass most
      of the time): passing alone, not opinion.
    - "spectrum": one latent axis, no groups: P(agree) = σ(a_j θ_i + b_j) with
      θ ~ N(0, 1), a ~ N(0, 1.5²), b ~ N(0, 0.5²) (a two-parameter logistic model).
    - "groups": `n_groups` groups of equal expected size; each group's P(agree) on a
      statement ~ Beta(0.5, 0.5), except a quarter of consensus statements shared by all.
    - "unequal": the same with sizes 1 : 10 : 10 : … (the first group ten times smaller).
    - "random_voters": "groups", plus a fifth of participants who agree or disagree at
      random (P(agree) = 1/2, group −1).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    rng = np.random.default_rng(random_state)
    n, m = n_participants, n_statements
    groups = np.zeros(n, dtype=np.int64)
    position = np.zeros(n)
    person_pass = np.full(n, pass_rate)
    if kind in ("independent", "pass_prone"):
        p_agree = np.tile(rng.beta(2, 2, size=m), (n, 1))
        if kind == "pass_prone":
            person_pass = rng.beta(0.5, 1.0, size=n)
    elif kind == "spectrum":
        position = rng.standard_normal(n)
        slope, intercept = rng.normal(0, 1.5, size=m), rng.normal(0, 0.5, size=m)
        p_agree = 1 / (1 + np.exp(-(position[:, None] * slope + intercept)))
    else:
        k = max(n_groups, 1)
        sizes = np.ones(k) if kind != "unequal" else np.where(np.arange(k) == 0, 1.0, 10.0)
        groups = rng.choice(k, size=n, p=sizes / sizes.sum())
        lean = rng.beta(0.5, 0.5, size=(k, m))
        consensus = rng.random(m) < 0.25
        lean[:, consensus] = rng.beta(2, 2, size=int(consensus.sum()))
        p_agree = lean[groups]
        if kind == "random_voters":
            random_voter = rng.random(n) < 0.2
            groups[random_voter] = -1
            p_agree[random_voter] = 0.5
    seen = rng.random((n, m)) < vote_share
    passes = rng.random((n, m)) < person_pass[:, None]
    agrees = rng.random((n, m)) < p_agree
    value = np.where(passes, 0, np.where(agrees, 1, -1))
    rows, cols = np.nonzero(seen)
    matrix = from_records(rows, cols, value[rows, cols], statement_ids=np.arange(m))
    order = np.asarray(matrix.participant_ids)
    return Planted(matrix, groups[order], position[order])
