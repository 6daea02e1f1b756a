"""The consult profile says what the votes support, whatever the seed (issue 9).

Each kind of synthetic conversation (`clustering.synthetic.planted`, our own generator)
at seeds 0..4: no structure gives one group, passing alone gives one group, a single
axis gives "spectrum", planted groups are found (also at sizes 1 : 10, and with a fifth of
participants voting at random, who are left unassigned).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from clustering.analysis import Analysis, analyze
from clustering.group_ids import stability, stable_ids
from clustering.matrix import from_dense
from clustering.synthetic import planted

SEEDS = range(5)


def analysed(
    kind: str, seed: int, n_groups: int = 3, size: tuple[int, int] = (400, 40)
) -> tuple[Analysis, np.ndarray]:
    conversation = planted(kind, *size, n_groups=n_groups, random_state=seed)
    analysis = analyze(conversation.matrix, random_state=seed)
    return analysis, conversation.groups


def labels_of(analysis: Analysis) -> np.ndarray:
    return np.array([-1 if p["group"] is None else p["group"] for p in analysis.participants])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["independent", "pass_prone"])
def test_no_opinion_structure_gives_one_group(kind, seed):
    analysis, _ = analysed(kind, seed)
    assert analysis.division["n_groups"] == 1
    assert analysis.division["strength"] == "none"


@pytest.mark.parametrize("seed", SEEDS)
def test_one_axis_is_called_a_spectrum_with_its_two_ends(seed):
    analysis, _ = analysed("spectrum", seed)
    division = analysis.division
    assert division["strength"] == "spectrum"
    assert "one axis" in division["summary"]
    assert division["n_groups"] == 1  # shown as one group; the ends are named
    assert division["axis_ends"]["low"]
    assert division["axis_ends"]["high"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_groups", [1, 2, 3, 4, 5])
def test_planted_groups_are_found(n_groups, seed):
    analysis, truth = analysed("groups", seed, n_groups)
    assert analysis.division["n_groups"] == n_groups
    if n_groups > 1:
        assert analysis.division["strength"] == "clear"
        assert adjusted_rand_score(truth, labels_of(analysis)) > 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_a_group_ten_times_smaller_is_found(seed):
    analysis, truth = analysed("unequal", seed, size=(600, 50))  # about 29 in the small one
    assert analysis.division["n_groups"] == 3
    smallest = min(g["members"] for g in analysis.groups)
    assert smallest == pytest.approx((truth == 0).sum(), rel=0.3)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_voters_are_unassigned_not_a_group(seed):
    analysis, truth = analysed("random_voters", seed)
    assert analysis.division["n_groups"] == 3
    labels = labels_of(analysis)
    confidence = np.array([p["confidence"] for p in analysis.participants])
    # About 20 opinions each: most random voters are told apart, the rest are unsure members.
    assert (labels[truth < 0] < 0).mean() > 0.6
    assert confidence[truth < 0].mean() < confidence[truth >= 0].mean() - 0.3
    assert (labels[truth >= 0] >= 0).mean() > 0.95
    for participant, label in zip(analysis.participants, labels, strict=True):
        assert (label < 0) == (participant["confidence"] < 0.5)


def test_soft_membership_is_in_the_json_with_size_intervals():
    analysis, _ = analysed("random_voters", 0)
    assert Analysis.from_json(analysis.to_json()) == analysis
    for group in analysis.groups:
        low, high = group["members_interval"]
        assert low <= group["members"] <= high + 1
        assert 0 <= group["pass_rate"] <= 1
    stable = analysis.division["stability"]
    assert stable["share_of_folds_with_this_k"] >= 0.8
    assert stable["grouping_agreement"] >= 0.9


def test_a_warm_update_keeps_the_number_of_groups_of_the_last_cold_one():
    conversation = planted("groups", 400, 40, n_groups=3, random_state=0)
    cold = analyze(conversation.matrix)
    two = planted("groups", 400, 40, n_groups=2, random_state=1)  # votes now say 2 groups
    warm = analyze(two.matrix, previous=cold)
    assert warm.division["chosen_n_groups"] == 3
    assert warm.division["updates_since_cold"] == 1
    assert analyze(two.matrix).division["n_groups"] == 2  # a cold analysis chooses again


def test_surviving_groups_keep_their_ids_when_a_group_vanishes():
    # Before: 23 participants in group 0, 40 in group 1, 37 in group 2. Now group 0 is
    # gone (its members joined group 1's); the model numbers the two groups 0 and 1.
    pids = np.arange(100)
    before = {int(p): 0 if p < 23 else (1 if p < 63 else 2) for p in pids}
    now = np.where(pids < 63, 0, 1)
    ids = stable_ids(now, pids, before)
    assert ids.tolist() == [1, 2]
    assert stability(ids[now], pids, before)["share_kept"] == pytest.approx(0.77)


@pytest.mark.parametrize("profile", ["consult", "polis"])
def test_a_cold_analysis_keeps_the_last_analysis_group_ids(profile):
    """From scratch, the groups may come out in another order: each keeps its id (its name,
    "Group A") from the grouping it is given, with no warm start."""
    matrix = planted("groups", 400, 40, n_groups=3, random_state=0).matrix
    first = analyze(matrix, profile=profile)
    ids = sorted(g["id"] for g in first.groups)
    assert len(ids) >= 2
    renamed = dict(zip(ids, ids[::-1], strict=True))  # as if the last analysis named them so
    before = {p: None if g is None else renamed[g] for p, g in first.group_of().items()}
    again = analyze(matrix, previous_groups=before, profile=profile)
    assert again.group_of() == before
    assert again.stability == {"matched_previous": True, "share_kept": 1.0}
    assert again.division == first.division  # chosen afresh, not warm


def test_two_opposite_camps_are_two_groups_not_a_spectrum():
    # Two camps that disagree on everything lie on one axis, but in two clumps.
    rng = np.random.default_rng(0)
    camp = np.arange(60) % 2
    leaning = np.where((np.arange(12) < 6)[None, :] == (camp == 0)[:, None], 1, -1)
    dense = np.where(rng.random((60, 12)) < 0.9, leaning, -leaning).astype(float)
    analysis = analyze(from_dense(dense))
    assert analysis.division["n_groups"] == 2
    assert "two ends of one axis" in analysis.division["summary"]
    labels = labels_of(analysis)
    assert (labels >= 0).mean() > 0.9
    assert adjusted_rand_score(camp[labels >= 0], labels[labels >= 0]) == 1.0
