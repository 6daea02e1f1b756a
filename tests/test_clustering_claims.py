"""Claims about groups and statements are exact tests, FDR-controlled, with minimum votes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, chi2_contingency, fisher_exact

from clustering.analysis import Analysis, analyze
from clustering.claims import (
    SELECTION_HELD_OUT,
    SELECTION_SAME_VOTES,
    leave_one_statement_out,
)
from clustering.consensus import majority_consensus, significant_consensus
from clustering.held_out_groups import (
    _dense_map,
    _projected,
    _Split,
    _submatrix,
    split_half_labels,
)
from clustering.matrix import cell_rows, from_dense
from clustering.parameters import DEFAULT
from clustering.pca import centred_dense, project
from clustering.repness import representative_statements
from clustering.report_numbers import adjusted_by_kind, statement_numbers
from clustering.stats import (
    binomial_greater_p,
    fisher_one_sided_p,
    fisher_two_sided_p,
    homogeneity_p,
    two_proportion_z,
    two_sided_p,
)

NAN = np.nan


def _two_groups(group_0: list[float], group_1: list[float]) -> tuple:
    """One statement; group 0 votes `group_0`, group 1 votes `group_1` (+1, −1, 0)."""
    dense = np.array([[v] for v in [*group_0, *group_1]], dtype=float)
    labels = np.array([0] * len(group_0) + [1] * len(group_1))
    return from_dense(dense).votes, labels


def test_zero_of_five_against_zero_of_a_thousand_is_not_significant():
    # Polis's +1-count z-score calls this a difference (p ~ 1e-19); Fisher's exact test does not.
    assert two_sided_p(two_proportion_z(0, 5, 0, 1000)) < 1e-10
    assert fisher_two_sided_p(0, 5, 0, 1000) == pytest.approx(1.0)
    votes, labels = _two_groups([-1] * 10, [-1] * 1000)
    numbers = statement_numbers(votes, labels, 2)
    assert not (numbers.agree_q < 0.05).any()


def test_nine_of_ten_against_a_hundred_of_a_thousand_differs():
    votes, labels = _two_groups([1] * 9 + [-1], [1] * 100 + [-1] * 900)
    numbers = statement_numbers(votes, labels, 2)
    assert numbers.agree_q[0, 0] < 1e-4
    assert numbers.rows()[0]["groups"][0]["differs_from_rest"]
    assert numbers.direction_q[0, 0, 0] < 0.05  # group 0 agrees more than the rest
    assert numbers.direction_q[1, 0, 0] == 1.0 or numbers.direction_q[1, 0, 0] > 0.5


@pytest.mark.parametrize("seed", range(3))
def test_fisher_matches_scipy_on_small_tables(seed):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(1, 30, size=20), rng.integers(1, 30, size=20)
    k1, k2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    ours = fisher_one_sided_p(k1, n1, k2, n2)
    for i in range(20):
        table = [[k1[i], n1[i] - k1[i]], [k2[i], n2[i] - k2[i]]]
        assert ours[i] == pytest.approx(fisher_exact(table, alternative="greater").pvalue)
        two_sided = min(1.0, 2 * min(ours[i], fisher_exact(table, alternative="less").pvalue))
        assert fisher_two_sided_p(k1[i], n1[i], k2[i], n2[i]) == pytest.approx(two_sided)


def test_binomial_and_homogeneity_tests_match_scipy():
    assert binomial_greater_p(14, 20, 0.5) == pytest.approx(
        binomtest(14, 20, 0.5, alternative="greater").pvalue
    )
    assert binomial_greater_p(0, 0) == 1.0
    agree, seen = np.array([[30], [10], [22]]), np.array([[50], [40], [45]])
    expected = chi2_contingency(np.hstack([agree, seen - agree]), correction=False).pvalue
    assert homogeneity_p(agree, seen, min_expected=5)[0] == pytest.approx(expected)
    # Expected counts below Cochran's rule: not testable, no claim.
    assert homogeneity_p(np.array([[1], [4]]), np.array([[5], [5]]), min_expected=5)[0] == 1.0


def test_a_statement_with_two_votes_per_group_is_never_a_claim():
    votes, labels = _two_groups([1, 1], [-1, -1])
    numbers = statement_numbers(votes, labels, 2)
    assert (numbers.agree_q == 1).all()
    assert (numbers.direction_q == 1).all()
    assert numbers.division_q[0] == 1.0
    assert (numbers.consensus_q == 1).all()
    reps = representative_statements(numbers.tallies, np.array([True]), numbers.direction_q)
    assert not any(r.significant for group in reps for r in group)
    assert numbers.divisive(np.array([True])) == []


def test_minimum_group_votes_is_where_claims_start():
    below, labels_below = _two_groups([1] * (DEFAULT.min_group_votes - 1), [-1] * 100)
    at, labels_at = _two_groups([1] * DEFAULT.min_group_votes, [-1] * 100)
    assert statement_numbers(below, labels_below, 2).agree_q[0, 0] == 1.0
    assert statement_numbers(at, labels_at, 2).agree_q[0, 0] < 0.05


def test_consensus_is_a_tested_claim_not_one_vote():
    # Statement 0: one agree vote. Statement 1: 28 of 30 agree. Statement 2: 16 of 30.
    dense = np.full((30, 3), NAN)
    dense[0, 0] = 1
    dense[:, 1] = [1] * 28 + [-1] * 2
    dense[:, 2] = [1] * 16 + [-1] * 14
    votes = from_dense(dense).votes
    labels = np.zeros(30, dtype=int)
    numbers = statement_numbers(votes, labels, 1)
    eligible = np.ones(3, bool)
    assert significant_consensus(numbers.tallies, numbers.consensus_q, eligible)["agree"] == [1]
    # Polis's majority rule lists the one-vote statement: why it is not what the app shows.
    assert 0 in majority_consensus(numbers.tallies, eligible)["agree"]


def test_divisive_needs_a_real_difference_between_groups():
    dense = np.full((60, 2), NAN)
    dense[:30, 0], dense[30:, 0] = 1, -1  # groups split on statement 0
    dense[:, 1] = np.tile([1, -1], 30)  # both groups half and half on statement 1
    votes, labels = from_dense(dense).votes, np.repeat([0, 1], 30)
    numbers = statement_numbers(votes, labels, 2)
    assert numbers.divisive(np.ones(2, bool)) == [0]


def test_claim_labels_replace_the_labels_that_chose_the_groups():
    # Groups chosen by the vote on statement 0 itself: "differs" on the same votes, but
    # not when statement 0 is tested with labels that ignore it (here: chosen at random).
    rng = np.random.default_rng(1)
    dense = rng.choice([-1.0, 1.0], size=(400, 5))
    votes = from_dense(dense).votes
    labels = (dense[:, 0] > 0).astype(int)
    same = statement_numbers(votes, labels, 2)
    assert same.selection == SELECTION_SAME_VOTES
    assert same.agree_q[:, 0].max() < 1e-6
    unrelated = rng.integers(0, 2, size=400)
    table = np.tile(unrelated[:, None], (1, 5))
    held_out = statement_numbers(votes, labels, 2, claim_labels=table)
    assert held_out.selection == SELECTION_HELD_OUT
    assert held_out.agree_q[:, 0].min() > 0.05
    # The shares shown are still the shown groups'.
    assert held_out.rows()[0]["groups"][0]["agree_share"] == 0.0
    # A callable per statement gives the same claims as the table.
    by_call = statement_numbers(votes, labels, 2, claim_labels=lambda j: table[:, j])
    np.testing.assert_array_equal(by_call.agree_q, held_out.agree_q)
    with pytest.raises(ValueError, match="shape"):
        statement_numbers(votes, labels, 2, claim_labels=table[:, :4])


def test_leave_one_statement_out_labels_ignore_the_vote_tested():
    # Noise, grouped by statement 0's vote: reassigned without statement 0, the groups no
    # longer differ on it, while their other statements keep their labels' meaning.
    rng = np.random.default_rng(1)
    dense = rng.choice([-1.0, 1.0], size=(600, 30))
    votes = from_dense(dense).votes
    labels = (dense[:, 0] > 0).astype(int)
    cells = leave_one_statement_out(votes, labels, 2)
    numbers = statement_numbers(votes, labels, 2, claim_labels=cells)
    assert numbers.agree_q[:, 0].min() > 0.05
    # Real structure survives: two planted groups that split on every statement.
    planted = np.repeat([0, 1], 300)
    lean = np.where(planted[:, None] == 0, 0.8, 0.2)
    dense = np.where(rng.random((600, 30)) < lean, 1.0, -1.0)
    votes = from_dense(dense).votes
    cells = leave_one_statement_out(votes, planted, 2)
    assert (cells == np.repeat(planted, 30)).mean() > 0.99
    assert (statement_numbers(votes, planted, 2, claim_labels=cells).agree_q < 0.05).all()


def test_fallback_never_picks_a_statement_the_group_leans_against():
    # Group 0 passes on statement 0 (1 agree, 9 passes) where the rest split 50/50: rat, rdt
    # and pat all negative, and Polis's product ra·rat·pa·pat is positive. Statement 1: the
    # group leans mildly toward agree (6 of 10 against 5 of 10), not significant.
    dense = np.full((110, 2), NAN)
    dense[:10, 0] = [1] + [0] * 9
    dense[10:, 0] = [1, -1] * 50
    dense[:10, 1] = [1] * 6 + [-1] * 4
    dense[10:20, 1] = [1] * 5 + [-1] * 5
    votes, labels = from_dense(dense).votes, np.array([0] * 10 + [1] * 100)
    numbers = statement_numbers(votes, labels, 2)
    for polis in (True, False):
        reps = representative_statements(
            numbers.tallies, np.ones(2, bool), numbers.direction_q, polis_selection=polis
        )[0]
        assert [(r.statement, r.direction, r.significant) for r in reps] == [(1, "agree", False)]
        assert all(r.repness_test > 0 and r.probability_test > 0 for r in reps)
    # With only the statement the group leans against, there is nothing to show.
    only_bad = representative_statements(
        numbers.tallies, np.array([True, False]), numbers.direction_q
    )
    assert only_bad[0] == []


@pytest.mark.parametrize("profile", ["consult", "polis"])
def test_analysis_marks_claims_and_round_trips(profile):
    rng = np.random.default_rng(3)
    planted = np.repeat([0, 1], 60)
    lean = np.where(planted[:, None] == 0, 0.85, 0.15)
    dense = np.where(rng.random((120, 12)) < lean, 1.0, -1.0)
    dense[rng.random(dense.shape) < 0.3] = NAN
    dense[:, 11] = NAN
    dense[0, 11] = 1  # one vote: never consensus, never representative
    analysis = analyze(from_dense(dense), profile=profile)
    assert Analysis.from_json(analysis.to_json()) == analysis
    assert analysis.methodology["claims"]["selection"] == SELECTION_HELD_OUT
    last = analysis.statements[11]
    assert last["id"] == 11
    assert last["selection"] == SELECTION_HELD_OUT
    assert 11 not in analysis.consensus["agree"]
    assert 11 not in analysis.divisive
    for group in analysis.groups:
        for r in group["representative"]:
            assert r["selection"] == SELECTION_HELD_OUT
            if r["statement"] == 11:
                assert not r["significant"]
    if profile == "polis":
        assert 11 in analysis.consensus["majority_agree"]  # Polis's own list, kept aside


def test_a_group_that_only_passes_more_does_not_differ():
    # Group 0: 10 agree, 10 disagree, 80 passes; group 1: 50 agree, 50 disagree. Agree
    # shares over all votes are 0.1 and 0.5, but the groups' opinions are the same.
    votes, labels = _two_groups([1] * 10 + [-1] * 10 + [0] * 80, [1] * 50 + [-1] * 50)
    numbers = statement_numbers(votes, labels, 2)
    assert (numbers.agree_q == 1).all() or numbers.agree_q.min() > 0.5
    assert numbers.division_q[0] > 0.5
    assert numbers.direction_q.min() > 0.5


def test_consult_representative_statements_lean_the_way_they_claim():
    # Claim labels make group 0 "disagree more than the rest" on statement 0, but on the
    # groups shown it agrees 16 to 8: not listed as standing for "disagree".
    dense = np.full((224, 1), NAN)
    dense[:24, 0] = [1] * 16 + [-1] * 8
    dense[24:, 0] = [1] * 190 + [-1] * 10
    votes, labels = from_dense(dense).votes, np.array([0] * 24 + [1] * 200)
    claim = np.ones((224, 1), dtype=int)
    claim[16:24] = claim[214:] = 0  # the claim labels put the disagreers in group 0
    numbers = statement_numbers(votes, labels, 2, claim_labels=claim)
    assert numbers.direction_q[1, 0, 0] < 0.05
    reps = representative_statements(
        numbers.tallies, np.ones(1, bool), numbers.direction_q, polis_selection=False
    )
    assert not any(r.direction == "disagree" and r.significant for r in reps[0])


def test_large_tables_use_a_normal_form_close_to_the_exact_test():
    from scipy.stats import hypergeom

    rng = np.random.default_rng(4)
    n1, n2 = rng.integers(100, 3000, 500), rng.integers(500, 30000, 500)
    k1, k2 = rng.binomial(n1, 0.45), rng.binomial(n2, 0.4)
    exact = hypergeom.sf(k1 - 1, n1 + n2, k1 + k2, n1)
    ours = fisher_one_sided_p(k1, n1, k2, n2)
    band = (exact > 1e-4) & (exact < 0.2)
    np.testing.assert_allclose(ours[band], exact[band], rtol=0.2)


def _flagged_on_noise(claim_labels_of, seeds) -> int:
    """How many noise conversations, grouped by the sign of an axis fitted to every vote
    (as the polis profile groups), get a group-vs-rest claim with these claim labels."""
    flagged = 0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        dense = rng.choice([-1.0, 1.0], size=(300, 40))
        dense[rng.random(dense.shape) < 0.4] = NAN
        votes = from_dense(dense).votes
        labels = (project(votes, random_state=seed).participants[:, 0] > 0).astype(int)
        numbers = statement_numbers(votes, labels, 2, claim_labels=claim_labels_of(votes, labels))
        flagged += bool(numbers.agree_q.min() < 0.05)
    return flagged


def test_split_half_labels_keep_claims_on_noise_at_their_level():
    seeds = range(100, 140)
    leaky = _flagged_on_noise(
        lambda votes, labels: leave_one_statement_out(votes, labels, 2), seeds
    )
    split = _flagged_on_noise(
        lambda votes, labels: split_half_labels(votes, labels, 2, np.ones(40, bool)), seeds
    )
    # Reassigning without j leaves the axis's lean on j (6 of 40 flagged, where the
    # group-vs-rest claims' share of the 5 % level allows 1.25 %: at most 2 by chance);
    # labels from a grouping of the other half of the statements hold the level.
    assert leaky >= 5
    assert split <= 2


def test_split_half_labels_find_planted_groups_again():
    rng = np.random.default_rng(3)
    planted = np.repeat([0, 1], 200)
    lean = np.where(planted[:, None] == 0, 0.8, 0.2)
    dense = np.where(rng.random((400, 30)) < lean, 1.0, -1.0)
    dense[rng.random(dense.shape) < 0.3] = NAN
    votes = from_dense(dense).votes
    eligible = np.ones(30, bool)
    eligible[29] = False  # a moderated-out statement: no claim, so no label
    cells = split_half_labels(votes, planted, 2, eligible)
    on_eligible = votes.indices != 29
    assert (cells[on_eligible] == planted[cell_rows(votes)][on_eligible]).mean() > 0.97
    assert (cells[~on_eligible] == -1).all()
    numbers = statement_numbers(votes, planted, 2, claim_labels=cells, eligible=eligible)
    assert (numbers.agree_q[:, :29] < 0.05).all()


def test_the_polis_profile_tests_its_claims_on_labels_from_the_other_half():
    # Polis always cuts noise into groups; with leave-one-statement-out labels 8 of these
    # 30 conversations had a group "differ" (seeds 10, 15, 18, ...), a quarter.
    flagged = 0
    for seed in range(30):
        dense = np.random.default_rng(seed).choice([-1.0, 1.0], size=(300, 40))
        analysis = analyze(from_dense(dense), profile="polis", random_state=seed)
        assert analysis.division["n_groups"] >= 2
        assert analysis.methodology["claims"]["selection"] == SELECTION_HELD_OUT
        rows = analysis.statements
        flagged += any(g["differs_from_rest"] for row in rows for g in row["groups"])
    assert flagged <= 3


def test_a_grouping_can_supply_the_labels_claims_are_tested_with(monkeypatch):
    import dataclasses

    from clustering import analysis as pipeline

    rng = np.random.default_rng(5)
    planted = np.repeat([0, 1], 60)
    dense = np.where(rng.random((120, 12)) < np.where(planted[:, None] == 0, 0.9, 0.1), 1.0, -1.0)
    matrix = from_dense(dense)
    differs = [g["differs_from_rest"] for row in analyze(matrix).statements for g in row["groups"]]
    assert any(differs)
    find_groups = pipeline.find_groups

    def nobody_grouped_for_claims(*args, **kwargs):
        found = find_groups(*args, **kwargs)
        return dataclasses.replace(found, claim_labels=lambda j: np.full(120, -1))

    monkeypatch.setattr(pipeline, "find_groups", nobody_grouped_for_claims)
    analysis = analyze(matrix)
    assert analysis.division["n_groups"] == 2
    assert not any(g["differs_from_rest"] for row in analysis.statements for g in row["groups"])
    assert analysis.methodology["claims"]["selection"] == SELECTION_HELD_OUT


@pytest.mark.parametrize("seed", range(3))
def test_dense_half_map_is_the_map_of_the_half_submatrix(seed):
    # `_dense_map` centres the half from the dense table of both halves; it must give the
    # map of the half's CSR (`_submatrix`), centred densely, to the bit.
    rng = np.random.default_rng(seed)
    dense = rng.choice([-1.0, 0.0, 1.0, np.nan], size=(80, 30), p=[0.3, 0.1, 0.3, 0.3])
    votes = from_dense(dense).votes
    rows = cell_rows(votes)
    half = rng.choice([-1, 0, 1], size=30)  # −1: a statement in neither half
    split = _Split(votes, rows, half)
    chosen_rows = rng.random(80) < 0.8
    for h in (0, 1):
        chosen_columns = half == h
        kept = chosen_rows[rows] & chosen_columns[votes.indices]
        submatrix = _submatrix(votes, rows, kept, chosen_rows, chosen_columns)
        matrix = centred_dense(submatrix)
        expected = _projected(matrix, matrix.T @ matrix, np.diff(submatrix.indptr))
        per_row = split.votes_in_half[chosen_rows, h]
        got = _dense_map(split.table, h, chosen_rows, per_row)
        np.testing.assert_array_equal(got, expected)


def test_the_level_is_shared_out_among_the_kinds_of_claim():
    # Alone, the first kind's p = 0.03 would be a claim (a BH family of one: q = 0.03);
    # beside a second kind, each kind has half the level: q = 0.06, no claim.
    lone = (np.array([0.03, 0.9]), np.array([True, False]))  # the second was not tested
    other = (np.array([[0.001, 0.5, 0.5], [0.5, 0.5, 0.5]]), np.ones(3, dtype=bool))
    first, second = adjusted_by_kind([lone, other])
    assert first.tolist() == [pytest.approx(0.06), 1.0]  # untested: 1
    assert second.shape == (2, 3)  # the mask broadcast over both rows
    assert second[0, 0] == pytest.approx(0.001 * 6 * 2)  # BH within its kind of six, times 2
    np.testing.assert_allclose(second.ravel()[1:], 1.0)  # 0.5 within its kind, times 2
    (alone,) = adjusted_by_kind([lone])
    assert alone.tolist() == [pytest.approx(0.03), 1.0]
