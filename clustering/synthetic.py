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
    lean = np.where(rng.random(n_statements) < consensus_share, shared, (1 - separation) * shared + separation * own)
    agree = (1 - pass_rate) * lean
    probabilities = np.stack([agree, (1 - pass_rate) - agree, np.full_like(agree, pass_rate)], axis=-1)

    groups = rng.choice(n_groups, size=n_participants, p=weights)
    sigma = 0.9
    counts = rng.lognormal(np.log(mean_votes) - sigma**2 / 2, sigma, size=n_participants)
    counts = np.clip(np.round(counts), 1, n_statements).astype(int)
    voters, statements, values = [], [], []
    for i, (group, count) in enumerate(zip(groups, counts, strict=True)):
        seen = rng.choice(n_statements, size=count, replace=False)
        choice = (rng.random(count)[:, None] > np.cumsum(probabilities[group, seen], axis=1)).sum(axis=1)
        voters.append(np.full(count, i))
        statements.append(seen)
        values.append(np.array([1, -1, 0])[np.minimum(choice, 2)])
    matrix = from_records(
        np.concatenate(voters), np.concatenate(statements), np.concatenate(values),
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
