"""k-means computed in blocks of distances gives what one table of every distance gives."""

from __future__ import annotations

import numpy as np
import pytest

from clustering import kmeans as kmeans_module
from clustering.kmeans import assign, kmeans


def _one_table(points, centres):
    """The nearest centre from the table of every |p − c|² − |p|², as before blocks."""
    return np.argmin(points @ (-2.0 * centres.T) + np.sum(centres**2, axis=1), axis=1)


def _clumps(seed, n=3000):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 2)) + rng.choice([-3.0, 0.0, 3.0], size=(n, 2))
    points[::7] = points[1::7][: len(points[::7])]  # exact duplicates, as identical voters give
    return points


@pytest.mark.parametrize("seed", range(3))
def test_blocks_give_the_labels_of_one_table(seed, monkeypatch):
    points = _clumps(seed)
    centres = points[np.random.default_rng(seed).choice(len(points), 100, replace=False)]
    expected = _one_table(points, centres)
    for block in (1, 100, 777 * 100, 10**9):  # one row, rows, a ragged last block, one block
        monkeypatch.setattr(kmeans_module, "BLOCK_DISTANCES", block)
        np.testing.assert_array_equal(assign(points, centres), expected)


def test_ties_go_to_the_lower_centre_in_every_block(monkeypatch):
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]] * 5)
    centres = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])  # 0 and 1 coincide
    monkeypatch.setattr(kmeans_module, "BLOCK_DISTANCES", 3 * 4)  # 4 rows a block
    assert assign(points, centres).tolist() == [0] * 15


@pytest.mark.parametrize("seed", range(3))
def test_kmeans_in_blocks_is_kmeans_in_one_table(seed, monkeypatch):
    points = _clumps(seed)
    whole = kmeans(points, 100)
    monkeypatch.setattr(kmeans_module, "BLOCK_DISTANCES", 512)
    blocked = kmeans(points, 100)
    np.testing.assert_array_equal(blocked.ids, whole.ids)
    np.testing.assert_array_equal(blocked.labels, whole.labels)
    np.testing.assert_array_equal(blocked.centres, whole.centres)
    warm = kmeans(points + 0.1, 100, previous=whole.members())
    monkeypatch.setattr(kmeans_module, "BLOCK_DISTANCES", 10**9)
    np.testing.assert_array_equal(
        warm.centres, kmeans(points + 0.1, 100, previous=whole.members()).centres
    )


def test_two_centres_give_argmin_labels_ties_to_the_first():
    points = np.round(_clumps(5, 500), 1)
    centres = np.array([[0.0, 0.0], [0.0, 0.0]])  # every point a tie: all to centre 0
    assert assign(points, centres).tolist() == [0] * 500
    centres = points[[3, 10]]
    np.testing.assert_array_equal(assign(points, centres), _one_table(points, centres))
