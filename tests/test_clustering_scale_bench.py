"""The scale benchmark's generators plant what their docstrings say (not timed here)."""

from __future__ import annotations

import numpy as np
import pytest

from clustering.bench.scale import GENERATORS, GROUP_SHARES, RANDOM_VOTERS, long_tail_matrix


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_each_generator_gives_about_fifty_opinions_per_participant(name):
    matrix, planted = GENERATORS[name](4000, 2000)
    assert matrix.shape == (len(planted), 2000)
    assert 40 <= matrix.votes.nnz / matrix.shape[0] <= 60
    assert set(np.unique(planted[planted >= 0])) == {0, 1, 2, 3}


def test_long_tail_plants_unequal_groups_random_voters_and_popular_statements():
    matrix, planted = long_tail_matrix(20_000, 2000)
    shares = np.bincount(planted + 1) / len(planted)
    np.testing.assert_allclose(shares[0], RANDOM_VOTERS, atol=0.01)
    np.testing.assert_allclose(shares[1:], np.array(GROUP_SHARES) * (1 - RANDOM_VOTERS), atol=0.01)
    seen = np.sort(np.bincount(matrix.votes.indices, minlength=2000))[::-1]
    assert seen[:20].sum() > 2 * seen[1000:].sum()  # the top 1 % outdraw the bottom half
    per_person = np.diff(matrix.votes.indptr)
    assert per_person.max() > 10 * np.median(per_person)  # a long tail of heavy voters
