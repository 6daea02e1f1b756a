"""The `polis` profile's update rules, on cases small enough to follow by hand (§4.2–4.6)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from clustering.analysis import analyze
from clustering.kmeans import _step, kmeans
from clustering.polis import PolisHistory, group, row_order, silhouette


def test_cold_start_takes_the_first_distinct_points_then_iterates():
    points = np.array([[0, 0], [0, 0], [1, 0], [5, 5]], float)
    # Starts at (0,0) and (1,0); (5,5) first joins (1,0), which then moves away from (1,0).
    result = kmeans(points, 2)
    assert result.members().tolist() == [0, 0, 0, 1]
    np.testing.assert_allclose(result.centres, [[1 / 3, 0], [5, 5]])


def test_warm_start_merges_clusters_that_met_and_splits_off_the_farthest_point():
    points = np.array([[0, 0], [10, 0], [4, 0], [6, 0]], float)
    # Last update: cluster 3 = {0, 10}, cluster 7 = {4, 6}; both now centre on (5, 0).
    result = kmeans(points, 2, previous=np.array([3, 3, 7, 7]))
    # Merged under 7 (equal sizes: the later wins); the farthest point (the last of the
    # ties, 10) becomes cluster 8; Lloyd then keeps 4 and 6 with 0.
    assert result.members().tolist() == [7, 8, 7, 7]


def test_warm_start_keeps_ids_and_places_newcomers():
    points = np.array([[0, 0], [0.2, 0], [9, 9], [9.2, 9], [0.1, 0.1]], float)
    result = kmeans(points, 2, previous=np.array([4, 4, 9, 9, -1]))
    assert result.members().tolist() == [4, 4, 9, 9, 4]


def test_a_cluster_without_points_is_dropped():
    points = np.array([[0, 0], [1, 0]], float)
    step = _step(
        points, np.array([0, 1, 2]), np.array([[0, 0], [100, 0], [1, 0]], float), np.ones(2)
    )
    assert step.ids.tolist() == [0, 2]
    assert step.members().tolist() == [0, 2]


def test_silhouette_matches_scikit_learn():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(40, 2)) + np.repeat([[0, 0], [4, 0], [0, 4]], [15, 15, 10], axis=0)
    labels = np.repeat([0, 1, 2], [15, 15, 10])
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    assert silhouette(distances, labels) == pytest.approx(silhouette_score(points, labels))
    assert silhouette(distances, np.zeros(40, int)) == 0.0


def three_blobs() -> np.ndarray:
    """Three tight blobs of 30, interleaved (Polis starts from the first distinct points)."""
    rng = np.random.default_rng(0)
    blobs = [rng.normal(centre, 0.3, size=(30, 2)) for centre in ([0, 0], [6, 0], [3, 5])]
    return np.stack(blobs, axis=1).reshape(-1, 2)


def test_a_new_k_is_shown_only_after_four_wins_in_a_row():
    points = three_blobs()
    ids = np.arange(len(points))
    n_votes = np.full(len(points), 10)
    first = group(points, n_votes, 20, ids)
    assert first.n_groups == 3  # a cold start shows the best k at once
    history = first.history
    history.displayed_k, history.k_votes = 2, [3, 2]  # as if 2 had been shown and 3 won twice
    third_win = group(points, n_votes, 20, ids, history=history)
    assert (third_win.n_groups, third_win.history.k_votes) == (2, [3, 3])
    fourth_win = group(points, n_votes, 20, ids, history=third_win.history)
    assert fourth_win.n_groups == 3


def test_history_survives_json():
    found = group(three_blobs(), np.full(90, 10), 20, np.array([f"p{i}" for i in range(90)]))
    state = json.loads(json.dumps(found.history.to_state()))
    assert PolisHistory.from_state(state) == found.history


def test_newcomers_are_appended_by_first_statement_then_id():
    history = PolisHistory(rows=["b", "a"])
    ids = np.array(["a", "z", "b", "y", "x"])
    first_statement = np.array([0, 1, 0, 0, 1])
    assert ids[row_order(ids, first_statement, history)].tolist() == ["b", "a", "y", "x", "z"]


def test_a_vote_on_a_moderated_statement_does_not_move_a_participant():
    # Polis zeroes a moderated column for everyone, so every participant counts it as voted.
    rng = np.random.default_rng(3)
    records = [
        (p, s, int(rng.choice([-1, 0, 1])), p * 10 + s)
        for p in range(30)
        for s in range(6)
        if rng.random() < 0.8 and s != 5
    ]
    records += [(p, 5, 1, 1000 + p) for p in range(10, 20)]
    before = analyze(records, moderated_out=[5], profile="polis")
    after = analyze([*records, (0, 5, -1, 2000)], moderated_out=[5], profile="polis")
    assert before.participants[0]["x"] == pytest.approx(after.participants[0]["x"])
    assert before.participants[0]["y"] == pytest.approx(after.participants[0]["y"])
