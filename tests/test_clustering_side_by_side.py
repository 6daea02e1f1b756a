"""Faster forms give, to the bit, what the plain ones give: computations run side by side
for several k (or starts) and one run for each (the Polis groupings of base clusters,
their silhouettes, the split-half k-means starts), and LAPACK's eigensolver called
directly and through scipy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from clustering import held_out_groups
from clustering.kmeans import assign, assign_each, kmeans, kmeans_each
from clustering.pca import top_eigenpairs
from clustering.polis import silhouette, silhouettes


def _base_centres(seed: int, n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Weighted 2-D points like Polis's base clusters: clumps, a few repeated points."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 2)) + rng.choice([-2.0, 0.0, 2.5], size=(n, 2))
    points[9::9] = points[1::9][: len(points[9::9])]
    return points, rng.integers(1, 30, size=n).astype(float)


def _same(got, expected) -> None:
    np.testing.assert_array_equal(got.ids, expected.ids)
    np.testing.assert_array_equal(got.labels, expected.labels)
    np.testing.assert_array_equal(got.centres, expected.centres)


@pytest.mark.parametrize("seed", range(6))
def test_kmeans_each_is_kmeans_for_every_k_cold(seed):
    points, weights = _base_centres(seed)
    ks = [2, 3, 4, 5]
    together = kmeans_each(points, ks, weights=weights, max_iter=100)
    for k, got in zip(ks, together, strict=True):
        _same(got, kmeans(points, k, weights=weights, max_iter=100))


@pytest.mark.parametrize("seed", range(6))
def test_kmeans_each_is_kmeans_warm_with_dropped_and_new_clusters(seed):
    points, weights = _base_centres(seed)
    rng = np.random.default_rng(seed + 100)
    weights[rng.choice(len(points), 10, replace=False)] = 0.0  # zero weights: counted apart
    ks = [2, 3, 4, 5]
    before = [kmeans(points, k, weights=weights).members() for k in ks]
    moved = points + rng.normal(scale=0.8, size=points.shape)
    previous = []
    for k, members in zip(ks, before, strict=True):
        members = members.copy()
        members[rng.random(len(members)) < 0.2] = -1  # new points
        if k == 4:
            members[members == members.max()] = 7  # an id a later clustering may drop
        previous.append(members)
    previous[0] = None  # one k starts cold beside the warm ones
    together = kmeans_each(moved, ks, previous=previous, weights=weights, max_iter=100)
    for k, members, got in zip(ks, previous, together, strict=True):
        _same(got, kmeans(moved, k, previous=members, weights=weights, max_iter=100))


@pytest.mark.parametrize("seed", range(6))
def test_kmeans_each_is_kmeans_when_clusters_empty_and_drop(seed):
    """Memberships dealt at random put every restarted centre near the middle: most
    clusters lose all their points and are dropped, a different number for each k."""
    points, weights = _base_centres(seed)
    rng = np.random.default_rng(seed)
    ks = [2, 3, 5]
    previous = [rng.integers(0, 12, len(points)) for _ in ks]
    together = kmeans_each(points, ks, previous=previous, weights=weights)
    dropped = []
    for k, members, got in zip(ks, previous, together, strict=True):
        expected = kmeans(points, k, previous=members, weights=weights)
        dropped.append(len(expected.ids) < len(np.unique(members)))
        _same(got, expected)
    assert any(dropped)


def test_kmeans_each_keeps_a_zero_weight_cluster_that_still_has_points():
    points, weights = _base_centres(4)
    points[0], weights[0] = (40.0, 40.0), 0.0  # alone, far away, and weighing nothing
    together = kmeans_each(points, [3, 4], weights=weights)
    for k, got in zip([3, 4], together, strict=True):
        expected = kmeans(points, k, weights=weights)
        assert len(expected.ids) == k
        _same(got, expected)


def test_kmeans_each_stops_at_the_iteration_limit_as_kmeans_does():
    points, weights = _base_centres(3)
    for max_iter in (0, 1, 2):
        together = kmeans_each(points, [2, 5], weights=weights, max_iter=max_iter)
        for k, got in zip([2, 5], together, strict=True):
            _same(got, kmeans(points, k, weights=weights, max_iter=max_iter))


def test_a_warm_cluster_whose_members_weigh_nothing_ends():
    """Its centre is its members' plain mean: at the origin instead, it never held its own
    point, and the restart split that point off forever."""
    points = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    weights = np.array([1.0, 1.0, 0.0])
    previous = np.array([0, 0, 1])
    alone = kmeans(points, 3, previous=previous, weights=weights)
    assert alone.labels.tolist() == [0, 1, 1]
    _same(kmeans_each(points, [3], previous=[previous], weights=weights)[0], alone)


def test_a_cluster_dropped_as_the_others_settle_stops_where_kmeans_alone_stops():
    """The settled test compares the living centres only, up to the shorter list, as `_close`.

    A warm start: cluster 2 (p and q, centred between them, sorted last) loses both to the
    clumps beside them, and the clumps' centres move under the 0.01 tolerance as it dies,
    so `kmeans` stops there. Comparing the dead centre too would go one iteration on, in
    which the weightless far point r changes sides (it sits where the bisector of the two
    centres moved past it)."""
    clump_0 = np.tile([19.8, 10.0], (20, 1))
    clump_1 = np.tile([19.9, -10.0], (20, 1))
    p, q, r = [19.9, 10.0], [20.0, -10.0], [-1000.0, -5.2]
    points = np.vstack([clump_0, clump_1, [p, q, r]])
    weights = np.concatenate([np.ones(40), [1.0, 2.0, 0.0]])
    previous = np.concatenate([np.zeros(20, int), np.ones(20, int), [2, 2, 0]])
    alone = kmeans(points, 3, weights=weights, previous=previous)
    assert alone.ids.tolist() == [0, 1]  # cluster 2 was dropped
    assert alone.labels[-1] == 1  # r as the centres stood when the drop came
    _same(kmeans_each(points, [3, 2], weights=weights, previous=[previous, previous])[0], alone)


def test_kmeans_each_with_no_points_is_kmeans():
    empty = np.zeros((0, 2))
    for got in kmeans_each(empty, [2, 3]):
        assert got.labels.size == 0
        assert got.ids.size == 0


@pytest.mark.parametrize("seed", range(4))
def test_silhouettes_are_each_silhouette(seed):
    """To the last bit or two only: BLAS sums a wide product's columns in an order of its
    own on some processors (AMD EPYC, OpenBLAS 0.3 in numpy 2.4: 1 ulp off the product of
    one labelling's columns), where the earlier sessions' machine gave the same bits."""
    points, _ = _base_centres(seed, 60)
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    labellings = [c.labels for c in kmeans_each(points, [2, 3, 4, 5])]
    labellings.append(np.zeros(60, dtype=np.int64))  # one group: 0
    labellings.append(np.where(np.arange(60) < 30, 4, 9))  # ids with gaps
    expected = [_one_silhouette(distances, labels) for labels in labellings]
    np.testing.assert_allclose(silhouettes(distances, labellings), expected, rtol=1e-13, atol=0)
    assert expected[-2] == 0.0
    assert expected[0] > 0


def _one_silhouette(distances, labels) -> float:
    """The silhouette of one labelling alone, as it was computed before side by side."""
    groups, labels = np.unique(labels, return_inverse=True)
    if len(groups) < 2:
        return 0.0
    n = len(labels)
    sums = distances @ np.eye(len(groups))[labels]
    sizes = np.bincount(labels).astype(float)
    others = sizes[labels] - 1
    within = np.divide(sums[np.arange(n), labels], others, out=np.zeros(n), where=others > 0)
    between = sums / sizes
    between[np.arange(n), labels] = np.inf
    nearest = between.min(axis=1)
    scale = np.maximum(within, nearest)
    values = np.divide(nearest - within, scale, out=np.zeros(n), where=(others > 0) & (scale > 0))
    return float(values.mean())


def test_silhouette_of_one_labelling_is_its_silhouettes_entry():
    points, _ = _base_centres(9, 40)
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    labels = kmeans(points, 3).labels
    assert silhouette(distances, labels) == silhouettes(distances, [labels])[0]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_assign_each_is_assign_for_every_set(k):
    rng = np.random.default_rng(k)
    points = np.round(rng.normal(size=(400, 2)), 1)  # rounded: ties happen
    centres = np.round(rng.normal(size=(3, k, 2)), 1)
    centres[1, 1] = centres[1, 0]  # two equal centres: ties to the lower
    labels = assign_each(points, centres)
    for s in range(3):
        np.testing.assert_array_equal(labels[:, s], assign(points, centres[s]))


@pytest.mark.parametrize("seed", range(4))
def test_best_of_starts_is_the_best_of_starts_run_one_by_one(seed):
    points, _ = _base_centres(seed, 300)
    for k in (2, 3, 4):
        got = held_out_groups._best_of_starts(points, k, np.random.default_rng(seed))
        expected = _one_start_at_a_time(points, k, np.random.default_rng(seed))
        np.testing.assert_array_equal(got, expected)


def _one_start_at_a_time(points, k, rng):
    """Each k-means++ start run alone to convergence; the first of the lowest inertia."""
    best, best_inertia = None, np.inf
    for _ in range(held_out_groups.K_MEANS_STARTS):
        centres = held_out_groups._plus_plus(points, k, rng)
        labels = assign(points, centres)
        for _ in range(held_out_groups.K_MEANS_ITERATIONS):
            counts = np.bincount(labels, minlength=k)[:, None]
            sums = np.stack([np.bincount(labels, x, k) for x in points.T], axis=1)
            centres = np.where(counts > 0, sums / np.maximum(counts, 1), centres)
            before, labels = labels, assign(points, centres)
            if (labels == before).all():
                break
        inertia = float(((points - centres[labels]) ** 2).sum())
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    return best


@pytest.mark.parametrize(("n", "k"), [(2, 2), (3, 1), (50, 2), (197, 2)])
def test_top_eigenpairs_is_scipy_eigh_on_the_top_subset(n, k):
    rng = np.random.default_rng(n)
    votes = rng.choice([-1.0, 0.0, 1.0], size=(3 * n, n))
    gram = votes.T @ votes
    expected_values, expected_vectors = scipy.linalg.eigh(
        gram, subset_by_index=[n - k, n - 1], driver="evr"
    )
    values, vectors = top_eigenpairs(gram.copy(), k)
    np.testing.assert_array_equal(values, expected_values[::-1])
    np.testing.assert_array_equal(vectors, expected_vectors[:, ::-1])


@pytest.mark.parametrize("seed", range(5))
def test_drawn_is_the_generators_own_choice(seed):
    rng = np.random.default_rng(seed)
    weights = rng.random(300) ** 4
    weights[rng.random(300) < 0.3] = 0.0
    p = weights / weights.sum()
    ours, theirs = np.random.default_rng(seed + 10), np.random.default_rng(seed + 10)
    draws = [held_out_groups._drawn(p, ours) for _ in range(200)]
    assert draws == [int(theirs.choice(300, p=p)) for _ in range(200)]
    assert all(p[d] > 0 for d in draws)
