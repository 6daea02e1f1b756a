"""The consult profile's latent-class model: its estimates, and choices made on held-out votes."""

from __future__ import annotations

import numpy as np
import pytest

from clustering import mixture
from clustering.matrix import from_dense
from clustering.synthetic import generate

NAN = np.nan


def test_without_a_pull_the_estimate_is_the_dirichlet_one():
    dense = np.array([[1, -1], [1, 0], [0, NAN], [-1, 1]], float)
    indicators = mixture.Indicators.from_votes(from_dense(dense).votes)
    r = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float)
    weights, probabilities = mixture._m_step(indicators, r, pass_strength=0.0)
    # Group 0 on statement 0: two agrees of two votes; (2+1, 0+1, 0+1) / (2+3).
    np.testing.assert_allclose(probabilities[0, 0], [3 / 5, 1 / 5, 1 / 5])
    # Group 1 on statement 1: one agree of one vote (the pass was row 2's missing vote).
    np.testing.assert_allclose(probabilities[1, 1], [2 / 4, 1 / 4, 1 / 4])
    np.testing.assert_allclose(weights, [3 / 6, 3 / 6])


def test_a_strong_pull_gives_every_group_the_statements_pass_rate():
    dense = np.array([[0, 1], [0, 1], [1, 0], [1, 0]], float)
    indicators = mixture.Indicators.from_votes(from_dense(dense).votes)
    r = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float)
    _, probabilities = mixture._m_step(indicators, r, pass_strength=1e9)
    np.testing.assert_allclose(probabilities[0, :, 2], probabilities[1, :, 2], rtol=1e-6)
    # The agree share among non-passes still differs by group.
    assert probabilities[0, 1, 0] > probabilities[1, 1, 0]


def passing_groups(n: int = 600, statements: int = 60, seed: int = 0) -> np.ndarray:
    """Two groups that agree alike but one passes far more: passes are the only signal."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, size=n)
    pass_rate = np.where(group == 0, 0.6, 0.05)[:, None]
    outcome = np.where(
        rng.random((n, statements)) < pass_rate,
        0.0,
        np.where(rng.random((n, statements)) < 0.7, 1.0, -1.0),
    )
    outcome[rng.random((n, statements)) < 0.5] = NAN
    return outcome


def test_held_out_votes_choose_no_pull_when_passes_tell_groups_apart():
    votes = from_dense(passing_groups()).votes
    chosen = mixture.select(votes, 3, random_state=0)
    assert chosen.fit.n_groups == 2
    assert chosen.pass_strength <= 3.0


@pytest.mark.parametrize("seed", [0, 1])
def test_held_out_votes_choose_a_strong_pull_when_passes_say_nothing(seed):
    conversation = generate(
        1200, 200, 3, pass_rate=0.15, random_state=seed
    )  # one pass rate for all
    chosen = mixture.select(conversation.matrix.votes, 4, random_state=seed)
    assert chosen.fit.n_groups == 3
    assert chosen.pass_strength >= 100.0
