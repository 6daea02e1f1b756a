"""Each step of the math on small cases checked by hand (DESIGN.md §4)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2, norm

from clustering.consensus import group_informed_consensus, majority_consensus
from clustering.matrix import from_dense, from_records
from clustering.pca import (
    _centred_dense_of_used_columns,
    centred,
    centred_dense,
    orthonormal_columns,
    project,
)
from clustering.polis import in_conv
from clustering.repness import representative_statements
from clustering.report_numbers import statement_numbers
from clustering.stats import benjamini_hochberg, chi_square_sf, normal_sf, wilson_interval
from clustering.tallies import tally

NAN = np.nan


def test_latest_vote_wins_and_passes_are_kept_as_votes():
    m = from_records(
        ["a", "b", "a", "a"], [1, 1, 2, 1], [1, 0, -1, -1], [1, 2, 3, 4], statement_ids=[1, 2, 3]
    )
    assert list(m.participant_ids) == ["a", "b"]
    assert list(m.statement_ids) == [1, 2, 3]
    assert m.votes.toarray().tolist() == [[-1, -1, 0], [0, 0, 0]]
    assert m.votes.nnz == 3  # b's pass is stored; statement 3 has a column but no votes
    assert list(m.n_votes) == [2, 1]
    agree, disagree, passes = m.counts_by_value()
    assert (list(agree), list(disagree), list(passes)) == ([0, 0, 0], [1, 1, 0], [1, 0, 0])


def test_out_of_range_vote_is_refused():
    with pytest.raises(ValueError, match="-1, 0 or"):
        from_records([1], [1], [2])


def test_centred_matrix_is_vote_minus_mean_on_voted_cells_only():
    m = from_dense([[1, NAN], [-1, 1], [0, 1]])
    matrix, means = centred(m.votes)
    assert means.tolist() == [0.0, 1.0]
    assert matrix.toarray().tolist() == [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]]


def test_projection_matches_a_dense_pca_with_mean_imputation():
    rng = np.random.default_rng(0)
    dense = rng.choice([-1.0, 0.0, 1.0, NAN], size=(30, 8), p=[0.35, 0.15, 0.3, 0.2])
    m = from_dense(dense)
    result = project(m.votes)
    means = np.nanmean(dense, axis=0)
    imputed = np.where(np.isnan(dense), means, dense) - means
    _, _, vt = np.linalg.svd(imputed, full_matrices=False)
    for k in range(2):  # same axes up to sign
        assert abs(abs(result.components[k] @ vt[k]) - 1) < 1e-6
    n_votes = (~np.isnan(dense)).sum(axis=1)
    expected = np.sqrt(8 / n_votes)[:, None] * (imputed @ result.components.T)
    np.testing.assert_allclose(result.participants, expected, atol=1e-9)
    # A statement is placed where a participant agreeing with it alone would be.
    j = 3
    np.testing.assert_allclose(
        result.statements[j], np.sqrt(8) * (1 - means[j]) * result.components[:, j]
    )


@pytest.mark.parametrize("zeroed", [[2, 5], [0, 1, 3, 4, 5, 6, 7]])
def test_projection_skips_zeroed_columns_and_places_them_at_zero(zeroed):
    """Columns of zeros (the polis profile's moderated statements) are left out of the exact
    axes' product; the map is the same as with them, to rounding. With one column left,
    all are kept (the second case)."""
    rng = np.random.default_rng(1)
    dense = rng.choice([-1.0, 0.0, 1.0, NAN], size=(40, 8), p=[0.35, 0.15, 0.3, 0.2])
    dense[:, zeroed] = np.where(np.isnan(dense[:, zeroed]), NAN, 0.0)
    votes = from_dense(dense).votes
    result = project(votes)
    assert not result.components[:, zeroed].any()
    _, _, used = _centred_dense_of_used_columns(votes)
    kept = [j for j in range(8) if j not in zeroed]
    assert used.tolist() == (kept if len(kept) >= 2 else list(range(8)))  # else all kept
    means = np.nanmean(dense, axis=0)
    imputed = np.where(np.isnan(dense), means, dense) - means
    _, singular, vt = np.linalg.svd(imputed, full_matrices=False)
    for k in range(2):  # an axis of a zero singular value is no axis: zero
        if singular[k] > 1e-9:
            assert abs(abs(result.components[k] @ vt[k]) - 1) < 1e-6
        else:
            assert not result.components[k].any()
    n_votes = (~np.isnan(dense)).sum(axis=1)
    expected = np.sqrt(8 / n_votes)[:, None] * (imputed @ result.components.T)
    np.testing.assert_allclose(result.participants, expected, atol=1e-9)


@pytest.mark.parametrize("rank", [10, 3])  # full rank (Cholesky QR); rank-deficient (fallback)
def test_orthonormal_columns_span_the_input(rank):
    rng = np.random.default_rng(1)
    tall = rng.standard_normal((500, rank)) @ rng.standard_normal((rank, 10)) * 1e3
    basis = orthonormal_columns(tall)
    assert basis.shape == (500, 10)
    np.testing.assert_allclose(basis.T @ basis, np.eye(10), atol=1e-10)
    # Every input column is in the span: projecting it on the basis changes nothing.
    np.testing.assert_allclose(basis @ (basis.T @ tall), tall, atol=1e-8 * np.abs(tall).max())


def test_in_conv_needs_seven_votes_but_tops_up_to_fifteen():
    n_votes = np.array([7, 6, 1, 0] + [3] * 20)
    chosen = in_conv(n_votes, n_statements=50)
    assert chosen[0]
    assert chosen[1]
    assert chosen.sum() == 15
    assert not chosen[3]  # never someone without a vote
    assert in_conv(np.array([2] * 20), n_statements=2).all()  # min(7, n_statements)


def test_representative_statement_by_hand():
    # Group 0: 9 of 10 agree with statement 0; group 1: 1 of 10.
    dense = np.full((20, 2), NAN)
    dense[:10, 0] = [1] * 9 + [-1]
    dense[10:, 0] = [1] + [-1] * 9
    dense[:, 1] = 0
    votes = from_dense(dense).votes
    labels = np.array([0] * 10 + [1] * 10)
    t = tally(votes, labels, 2)
    # Significance comes from the exact tests (Fisher, BH), not from Polis's z-scores.
    reps = representative_statements(
        t, np.array([True, True]), statement_numbers(votes, labels, 2).direction_q
    )
    best = reps[0][0]
    assert (best.statement, best.direction) == (0, "agree")
    assert best.probability == pytest.approx(10 / 12)  # (9+1)/(10+2)
    assert best.probability_test == pytest.approx(2 * np.sqrt(11) * (10 / 11 - 0.5))
    assert best.repness == pytest.approx((10 / 12) / (2 / 12))
    assert best.significant
    assert (reps[1][0].statement, reps[1][0].direction) == (0, "disagree")


def test_consensus_and_group_informed_consensus_by_hand():
    dense = np.array(
        [[1, -1, 0], [1, -1, 1], [1, -1, -1], [1, 1, 1], [1, -1, NAN], [1, -1, NAN], [1, -1, NAN]],
        float,
    )
    t = tally(from_dense(dense).votes, np.array([0, 0, 0, 1, 1, 1, 1]), 2)
    consensus = majority_consensus(t, np.ones(3, bool))
    assert consensus == {"agree": [0], "disagree": [1]}
    gac = group_informed_consensus(t)
    assert gac[0] == pytest.approx((4 / 5) * (5 / 6))
    assert gac[1] == pytest.approx((1 / 5) * (2 / 6))


def test_wilson_interval_known_value_and_no_data():
    low, high = wilson_interval(8, 10)
    assert (round(float(low), 4), round(float(high), 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(0, 0)
    assert (float(low), float(high)) == (0.0, 1.0)


def test_benjamini_hochberg_known_example():
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(q, [0.02, 0.04, 0.04, 0.02])


def test_bridging_scores_statements_both_sides_agree_with():
    from clustering.bridging import bridging_scores
    from clustering.synthetic import generate

    conversation = generate(1000, 100, 2, consensus_share=0.3, random_state=3)
    votes = conversation.matrix.votes
    fitted = bridging_scores(votes, project(votes).participants[:, 0])
    agree = conversation.probabilities[:, :, 0]
    # High where the less agreeing side still agrees; the mean stays a rating (0..1).
    assert np.corrcoef(fitted.statement_intercepts, agree.min(axis=0))[0, 1] > 0.7
    assert 0.3 < fitted.mean < 0.7


def test_bridging_is_the_exact_ridge_solution():
    # A dense least-squares solve of the same model on a small case, column by column.
    from clustering.bridging import bridging_scores, penalties

    rng = np.random.default_rng(2)
    dense = rng.choice([-1.0, 0.0, 1.0, NAN], size=(40, 6), p=[0.3, 0.1, 0.4, 0.2])
    votes = from_dense(dense).votes
    axis = rng.normal(size=40)
    fitted = bridging_scores(votes, axis)
    f = (axis - axis.mean()) / axis.std()
    rows, cols = np.nonzero(~np.isnan(dense))
    design = np.zeros((len(rows), 1 + 40 + 12))
    design[:, 0] = 1
    design[np.arange(len(rows)), 1 + rows] = 1
    design[np.arange(len(rows)), 41 + cols] = 1
    design[np.arange(len(rows)), 47 + cols] = f[rows]
    # Community Notes' penalties on means, as penalties on sums: λ·N/count.
    lam = penalties(len(rows), 40, 6)
    penalty = np.diag(
        [0.0]
        + [lam.participant_intercept] * 40
        + [lam.statement_intercept] * 6
        + [lam.statement_factor] * 6
    )
    ratings = (dense[rows, cols] + 1) / 2
    exact = np.linalg.solve(design.T @ design + penalty, design.T @ ratings)
    scored = fitted.scored
    np.testing.assert_allclose(fitted.statement_intercepts[scored], exact[41:47][scored], atol=1e-6)
    np.testing.assert_allclose(fitted.statement_factors, exact[47:], atol=1e-6)
    assert fitted.mean == pytest.approx(exact[0], abs=1e-6)


def test_dense_centred_matrix_is_the_sparse_one_expanded():
    votes = from_dense(np.array([[1, np.nan, -1], [0, 1, np.nan], [1, 1, 1]])).votes
    np.testing.assert_array_equal(centred_dense(votes), centred(votes)[0].toarray())


def test_tallies_count_every_vote_by_hand():
    rng = np.random.default_rng(0)
    dense = rng.choice([-1.0, 0.0, 1.0, np.nan], size=(40, 7))
    labels = rng.integers(-1, 3, 40)
    t = tally(from_dense(dense).votes, labels, 3)
    for kind, total, per_group in (
        (1.0, t.total_agree, t.agree),
        (-1.0, t.total_disagree, t.disagree),
        (0.0, t.total_passes, t.passes),
    ):
        np.testing.assert_array_equal(total, (dense == kind).sum(axis=0))
        for g in range(3):
            np.testing.assert_array_equal(per_group[g], (dense[labels == g] == kind).sum(axis=0))
    np.testing.assert_array_equal(t.total_seen, (~np.isnan(dense)).sum(axis=0))


def test_survival_functions_are_scipy_stats_to_the_bit():
    x = np.concatenate([np.linspace(-40, 40, 801), [0.0, -0.0, np.inf, -np.inf, 1e-300]])
    np.testing.assert_array_equal(normal_sf(x), norm.sf(x))
    statistic = np.abs(x[np.isfinite(x)])
    for dof in (1, 2, 3, 4, 7):
        np.testing.assert_array_equal(chi_square_sf(statistic, dof), chi2.sf(statistic, dof))
    dofs = np.arange(1, statistic.size + 1) % 5 + 1
    np.testing.assert_array_equal(chi_square_sf(statistic, dofs), chi2.sf(statistic, dofs))
