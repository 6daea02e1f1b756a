"""Who took part: suppression by difference, groups and statements across categories,
representativeness and post-stratification (issue 13)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

from clustering.stats import wilson_interval
from consult.services.suppression import (
    TOTAL,
    SuppressedTable,
    one_way_equations,
    recoverable_cells,
    suppress,
    two_way_counts,
    two_way_equations,
)
from consult.services.who_took_part import (
    NO_ANSWER,
    NO_GROUP,
    TargetsInvalid,
    check_targets,
    compare_statements,
    groups_across,
    participation_table,
    post_stratify,
    representativeness,
    statement_across,
)

# --- suppression ---------------------------------------------------------------------------


def test_one_small_cell_gets_a_second_so_the_total_does_not_give_it_back():
    table = suppress({"a": 3, "b": 20, "c": 30, TOTAL: 53}, one_way_equations("abc"))
    assert table.hidden == {"a", "b"}  # b: the smallest shown cell, hidden beside a
    assert table.shown("c") == 30
    assert table.shown(TOTAL) == 53
    assert recoverable_cells(table) == set()


def test_a_single_hidden_cell_beside_its_total_is_recoverable():
    table = SuppressedTable({"a": 3, "b": 20, TOTAL: 23}, one_way_equations("ab"), {"a"})
    assert recoverable_cells(table) == {"a"}


def test_a_hidden_cell_joining_two_blocks_is_recoverable_though_each_line_hides_two():
    # Rows 1, 2 × columns 1, 2 hidden, rows 3, 4 × columns 3, 4 hidden, and cell (1, 3):
    # every row and column has at least two hidden cells, yet row 1 + row 2 − column 1 −
    # column 2 leaves exactly cell (1, 3). The one-line rule misses it; the checker does not.
    rows, columns = [1, 2, 3, 4], [1, 2, 3, 4]
    counts = two_way_counts({(r, c): 20 for r in rows for c in columns}, rows, columns)
    block = {(r, c) for r in (1, 2) for c in (1, 2)} | {(r, c) for r in (3, 4) for c in (3, 4)}
    table = SuppressedTable(counts, two_way_equations(rows, columns), block | {(1, 3)})
    assert recoverable_cells(table) == {(1, 3)}
    assert not _fits_with_another_value(table, (1, 3))
    assert _fits_with_another_value(table, (1, 1))


def test_a_two_way_table_protects_its_small_cell_in_its_row_and_its_column():
    rows, columns = ["g1", "g2"], ["x", "y", "z"]
    cells = {("g1", "x"): 4, ("g1", "y"): 30, ("g1", "z"): 25}
    cells |= {("g2", "x"): 20, ("g2", "y"): 40, ("g2", "z"): 35}
    counts = two_way_counts(cells, rows, columns)
    table = suppress(counts, two_way_equations(rows, columns), published=[("row", "g1"), TOTAL])
    assert ("g1", "x") in table.hidden
    assert sum(("g1", c) in table.hidden for c in columns) >= 2
    assert sum((r, "x") in table.hidden or ("column", "x") in table.hidden for r in rows) >= 2
    assert recoverable_cells(table) == set()


def test_a_small_cell_published_elsewhere_stays_shown():
    table = suppress({"x": 4, "y": 20, TOTAL: 24}, one_way_equations("xy"), published=["x"])
    assert table.hidden == set()  # x is out already: hiding it, or y beside it, protects nothing


def test_a_table_whose_published_cells_give_away_a_hidden_one_is_withheld():
    # One category: the published total is the category's count.
    table = suppress({"x": 4, TOTAL: 4}, one_way_equations(["x"]), published=[TOTAL])
    assert table.withheld
    assert table.shown(TOTAL) is None


def test_min_cell_below_one_is_refused():
    with pytest.raises(ValueError, match="min_cell"):
        suppress({"a": 1, TOTAL: 1}, one_way_equations("a"), min_cell=0)


@st.composite
def two_way_tables(draw):
    n_rows, n_columns = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rows, columns = list(range(n_rows)), [f"c{j}" for j in range(n_columns)]
    values = draw(
        st.lists(st.integers(0, 40), min_size=n_rows * n_columns, max_size=n_rows * n_columns)
    )
    cells = {
        (r, c): values[i * n_columns + j] for i, r in enumerate(rows) for j, c in enumerate(columns)
    }
    counts = two_way_counts(cells, rows, columns)
    margins = [("row", r) for r in rows] + [("column", c) for c in columns] + [TOTAL]
    published = draw(st.lists(st.sampled_from(margins), unique=True))
    others = [key for key in counts if key not in published]
    already = draw(st.lists(st.sampled_from(others), unique=True, max_size=3)) if others else []
    return counts, two_way_equations(rows, columns), published, already


def _fits_with_another_value(table, key):
    """Whether the shown cells and every margin also fit a table where `key` is one more.

    Independent of `recoverable_cells` (least squares rather than a null space): a hidden
    cell is safe when some other value of it agrees with everything published.
    """
    hidden = sorted(table.hidden, key=repr)
    column = {k: i for i, k in enumerate(hidden)}
    rows, rhs = [], []
    for equation in table.equations:
        row, known = np.zeros(len(hidden)), 0.0
        for k, sign in [(equation.total, -1.0), *((part, 1.0) for part in equation.parts)]:
            if k in column:
                row[column[k]] += sign
            else:
                known -= sign * table.counts[k]
        rows.append(row)
        rhs.append(known)
    pinned = np.zeros(len(hidden))
    pinned[column[key]] = 1.0
    system, target = np.vstack([*rows, pinned]), np.array([*rhs, table.counts[key] + 1])
    solution = np.linalg.lstsq(system, target, rcond=None)[0]
    return np.allclose(system @ solution, target, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(two_way_tables(), st.integers(1, 15))
def test_no_suppressed_cell_is_recoverable_by_difference_from_what_is_published(drawn, min_cell):
    counts, equations, published, already = drawn
    table = suppress(counts, equations, min_cell, published=published, already_hidden=already)
    if table.withheld:
        return
    assert recoverable_cells(table) == set()
    assert all(_fits_with_another_value(table, key) for key in table.hidden)
    small = {k for k, v in counts.items() if 0 < v < min_cell and k not in published}
    assert small | set(already) <= table.hidden
    assert not table.hidden & set(published)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=12))
def test_no_suppressed_category_is_recoverable_from_the_published_total(values):
    keys = [f"k{i}" for i in range(len(values))]
    counts = dict(zip(keys, values, strict=True)) | {TOTAL: sum(values)}
    table = suppress(counts, one_way_equations(keys), published=[TOTAL])
    if not table.withheld:
        assert recoverable_cells(table) == set()
        assert len(table.hidden) != 1


# --- groups and statements across categories -------------------------------------------


def _people(spec):
    """Participants from {(group, category): how many}."""
    groups, categories = [], []
    for (group, category), n in spec.items():
        groups += [group] * n
        categories += [category] * n
    return groups, categories


def test_each_groups_make_up_by_answer_and_each_answers_by_group_with_intervals():
    groups, categories = _people({
        (0, "x"): 20, (0, "y"): 15, (0, None): 10,
        (1, "x"): 10, (1, "y"): 25, (1, None): 10,
        (None, "x"): 10, (None, "y"): 10, (None, None): 10,
    })  # fmt: skip
    result = groups_across(groups, categories, ["x", "y"])
    assert result.rows == [0, 1, NO_GROUP]
    assert result.columns == ["x", "y", NO_ANSWER]
    assert not result.table.hidden
    of_group = result.share_of_row[0, "x"]
    assert of_group.value == pytest.approx(20 / 45)
    low, high = wilson_interval(20, 45)
    assert (of_group.low, of_group.high) == pytest.approx((float(low), float(high)))
    assert result.share_of_column[0, "x"].value == pytest.approx(20 / 40)


def test_a_small_cell_hides_its_share_and_a_category_hidden_in_participation_stays_hidden():
    groups, categories = _people({
        (0, "x"): 20, (0, "y"): 3, (0, "z"): 2,
        (1, "x"): 30, (1, "y"): 25, (1, "z"): 2,
    })  # fmt: skip
    result = groups_across(groups, categories, ["x", "y", "z"])
    assert result.share_of_row[0, "y"] is None
    assert "z" in participation_table(categories, ["x", "y", "z"]).hidden
    assert result.table.shown(("column", "z")) is None
    assert result.table.shown(("row", 0)) == 25  # group sizes are published in the report
    assert recoverable_cells(result.table) == set()


def test_a_few_ungrouped_withhold_the_table_unless_their_number_is_published():
    groups, categories = _people({
        (0, "x"): 15, (0, "y"): 12, (1, "x"): 14, (1, "y"): 11, (None, "x"): 1,
    })  # fmt: skip
    assert groups_across(groups, categories, ["x", "y"]).table.withheld
    result = groups_across(groups, categories, ["x", "y"], ungrouped_published=True)
    assert not result.table.withheld
    assert result.table.shown(("row", NO_GROUP)) == 1
    # One hidden cell in a two-way table needs at least a rectangle of four: no more here.
    inner = {key for key in result.table.hidden if isinstance(key[0], int) or key[0] == NO_GROUP}
    assert len(inner) == 4
    assert result.table.shown((NO_GROUP, "x")) is None
    assert recoverable_cells(result.table) == set()


def _votes(spec):
    """Votes from {(category, vote): how many}."""
    votes, categories = [], []
    for (category, vote), n in spec.items():
        votes += [vote] * n
        categories += [category] * n
    return votes, categories


def test_agree_shares_side_by_side_and_where_the_categories_differ():
    votes, categories = _votes({
        ("x", 1): 30, ("x", -1): 10, ("x", 0): 10,
        ("y", 1): 10, ("y", -1): 30, ("y", 0): 10,
        (None, 1): 10, (None, -1): 10, (None, 0): 10,
    })  # fmt: skip
    result = statement_across(votes, categories, ["x", "y"])
    assert result.agree_share("x").value == pytest.approx(30 / 50)
    assert result.agree_share("y").value == pytest.approx(10 / 50)
    assert result.testable
    # The same test by scipy: agree against the other votes, x against y (no answer aside).
    expected = chi2_contingency([[30, 20], [10, 40]], correction=False).pvalue
    assert result.p_value == pytest.approx(expected)


def test_a_category_with_too_few_votes_is_not_shown_nor_tested():
    votes, categories = _votes({
        ("x", 1): 30, ("x", -1): 10, ("x", 0): 10,
        ("y", 1): 2, ("y", -1): 2,
        (None, 1): 12, (None, -1): 12, (None, 0): 12,
    })  # fmt: skip
    result = statement_across(votes, categories, ["x", "y"])
    assert result.agree_share("y") is None
    assert not result.testable
    assert result.p_value == 1.0
    assert recoverable_cells(result.votes.table) == set()


def test_q_values_adjust_over_the_testable_statements_only():
    same, differ = (
        {("x", 1): 20, ("x", -1): 20, ("y", 1): 20, ("y", -1): 20},
        {("x", 1): 35, ("x", -1): 10, ("y", 1): 10, ("y", -1): 35},
    )
    results = [statement_across(*_votes(spec), ["x", "y"]) for spec in (same, differ)]
    untestable = statement_across(*_votes({("x", 1): 40}), ["x", "y"])
    compare_statements([*results, untestable])
    assert results[1].q_value == pytest.approx(min(1.0, 2 * results[1].p_value))
    assert results[0].q_value == pytest.approx(results[0].p_value)  # p = 1: stays 1
    assert untestable.q_value == 1.0


def test_votes_and_categories_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one entry per participant"):
        statement_across([1, 1], ["x"], ["x"])


# --- representativeness ----------------------------------------------------------------


def test_representativeness_flags_who_is_missing():
    categories = ["x"] * 60 + ["y"] * 30 + ["z"] * 10 + [None] * 10
    result = representativeness(categories, ["x", "y", "z"], {"x": 0.4, "y": 0.4, "z": 0.2})
    by = {r.category: r for r in result.categories}
    assert (result.base, result.answered, result.left_out) == ("answered", 100, 10)
    # x: 60/100, Wilson (0.502, 0.691): the target 0.4 lies below it.
    assert by["x"].status == "over"
    assert by["x"].difference == pytest.approx(0.2)
    assert by["x"].ratio == pytest.approx(1.5)
    # y: 30/100, Wilson (0.219, 0.396), and z: 10/100, Wilson (0.055, 0.174): targets above.
    assert (by["y"].status, by["z"].status) == ("under", "under")


def test_a_few_without_an_answer_hide_a_category_and_the_number_who_answered():
    categories = ["x"] * 60 + ["y"] * 30 + ["z"] * 10 + [None] * 5
    result = representativeness(categories, ["x", "y", "z"], {"x": 0.4, "y": 0.4, "z": 0.2})
    by = {r.category: r for r in result.categories}
    # "No answer" (5) is hidden; the published total minus those who answered would give it
    # back, so "answered" is hidden, and then z (10, the smallest) lest x + y + z give
    # "answered" back. The shares are then of everyone: x 60/105.
    assert (result.base, result.answered, result.left_out) == ("everyone", None, None)
    assert by["z"].status == "suppressed"
    assert by["z"].participation is None
    assert by["x"].participation.value == pytest.approx(60 / 105)
    # Shares of everyone add up to less than the targets: no flag rather than a leaning one.
    assert by["x"].status == "no_base"


@pytest.mark.parametrize(
    ("targets", "code"),
    [
        ({"x": 0.5, "y": 0.4}, "targets_must_sum_to_one"),
        ({"z": 1.0}, "targets_must_name_choices"),
        ({}, "targets_must_name_choices"),
        ({"x": 1.2, "y": -0.2}, "targets_must_be_shares"),
        ({"x": math.nan, "y": 0.5}, "targets_must_be_shares"),
        ({"x": True, "y": 0.0}, "targets_must_be_shares"),
    ],
)
def test_targets_that_cannot_be_used_are_refused_with_a_code(targets, code):
    with pytest.raises(TargetsInvalid) as refused:
        representativeness(["x"] * 20 + ["y"] * 20, ["x", "y"], targets)
    assert refused.value.code == code
    assert isinstance(refused.value, ValueError)


def test_a_choice_without_a_target_is_left_out_like_no_answer():
    # "p" (Prefer not to say) has no census share: shares are of the 80 with x or y.
    categories = ["x"] * 60 + ["y"] * 20 + ["p"] * 15 + [None] * 12
    result = representativeness(categories, ["x", "y", "p"], {"x": 0.5, "y": 0.5})
    by = {r.category: r for r in result.categories}
    assert set(by) == {"x", "y"}
    assert (result.base, result.answered, result.left_out) == ("answered", 80, 27)
    assert by["x"].participation.value == pytest.approx(0.75)
    assert (by["x"].status, by["y"].status) == ("over", "under")


def test_a_few_left_out_by_having_no_target_are_protected_too():
    # 4 chose "p": hidden; those compared (x + y = 90) plus "answered" would give it back.
    categories = ["x"] * 50 + ["y"] * 40 + ["p"] * 4 + [None] * 12
    result = representativeness(categories, ["x", "y", "p"], {"x": 0.5, "y": 0.5})
    table = participation_table(categories, ["x", "y", "p"], compared=["x", "y"])
    # Hiding "answered" and "no answer" protects p (p + no answer = 16 is all one learns),
    # and keeps the categories compared and their base.
    assert table.hidden == {"p", "answered", "no_answer"}
    assert recoverable_cells(table) == set()
    assert (result.base, result.answered, result.left_out) == ("answered", 90, 16)
    assert [r.status for r in result.categories] == ["in_line", "in_line"]


@pytest.mark.parametrize("second", [0.495, 0.49, 0.51])
def test_targets_within_a_hundredth_of_one_are_accepted(second):
    result = representativeness(["x"] * 20 + ["y"] * 20, ["x", "y"], {"x": 0.5, "y": second})
    assert [r.status for r in result.categories] == ["in_line", "in_line"]


def test_targets_off_by_a_little_more_are_refused():
    with pytest.raises(TargetsInvalid, match="targets_must_sum_to_one"):
        check_targets({"x": 0.5, "y": 0.489}, ["x", "y"])


def test_reweighting_to_targets_that_sum_a_little_over_one_stays_a_share():
    # Targets 0.5 + 0.509: normalised, so everyone agreeing gives 100 %, not 100.9 %.
    result = post_stratify({0: 12, 1: 15}, {0: 12, 1: 15}, {0: 0.5, 1: 0.509})
    assert result.value == pytest.approx(1.0)
    assert result.low < result.high <= 1.0
    assert result.low < 0.95  # 27 people who all agree do not make a certainty


def test_when_every_cell_is_small_everything_is_suppressed():
    result = representativeness(["x"] * 4 + ["y"] * 3, ["x", "y"], {"x": 0.5, "y": 0.5})
    assert [r.status for r in result.categories] == ["suppressed", "suppressed"]


def test_a_single_category_with_everyone_in_it_is_shown():
    table = participation_table(["x"] * 30, ["x"])
    assert table.hidden == set()  # nothing small: the total is x, and "no answer" is 0
    assert table.shown(TOTAL) == 30


def test_no_answers_at_all_leave_everyone_out():
    result = representativeness([None] * 30, ["x", "y"], {"x": 0.5, "y": 0.5})
    assert (result.answered, result.left_out) == (0, 30)
    assert [r.status for r in result.categories] == ["no_answers", "no_answers"]


# --- post-stratification ---------------------------------------------------------------


def test_post_stratified_share_checked_by_hand():
    # Three categories and the "no answer" ones; a share (say, agreeing with a statement):
    #   A: 10 of 20 (p = 0.50), B: 10 of 40 (p = 0.25), C: 30 of 40 (p = 0.75), no answer 5 of 10
    #   targets A 0.5, B 0.3, C 0.2
    # Unweighted, everyone: (10 + 10 + 30 + 5) / (20 + 40 + 40 + 10) = 55 / 110 = 0.5
    # Reweighted: 0.5 × 0.50 + 0.3 × 0.25 + 0.2 × 0.75 = 0.25 + 0.075 + 0.15 = 0.475
    # Weights: sample shares among the 100 who answered 0.2, 0.4, 0.4 -> 2.5, 0.75, 0.5
    #   (check: (2.5×10 + 0.75×10 + 0.5×30) / (2.5×20 + 0.75×40 + 0.5×40) = 47.5 / 100)
    # Variance: 0.25 × 0.25 / 20 + 0.09 × 0.1875 / 40 + 0.04 × 0.1875 / 40
    #         = 0.003125 + 0.000421875 + 0.0001875 = 0.003734375
    # Effective sample size: 0.475 × 0.525 / 0.003734375 = 66.778 (under the 100 compared)
    # Wilson at n = 66.778, z = 1.959964: centre (0.475 + z²/2n) / (1 + z²/n) = 0.476360,
    #   half z √(p(1 − p)/n + z²/4n²) / (1 + z²/n) = 0.116477 -> (0.359883, 0.592837)
    result = post_stratify(
        successes={"A": 10, "B": 10, "C": 30, NO_ANSWER: 5},
        trials={"A": 20, "B": 40, "C": 40, NO_ANSWER: 10},
        targets={"A": 0.5, "B": 0.3, "C": 0.2},
    )
    assert result.possible
    assert result.label == "post_stratified"
    assert result.unweighted.value == pytest.approx(0.5)
    assert result.value == pytest.approx(0.475)
    assert result.weights == pytest.approx({"A": 2.5, "B": 0.75, "C": 0.5})
    assert (result.low, result.high) == pytest.approx((0.359883, 0.592837), abs=1e-6)
    assert result.left_out == 10


def test_a_category_nobody_stands_for_makes_reweighting_impossible_and_says_which():
    result = post_stratify({"A": 5, "B": 0}, {"A": 20, "B": 0}, {"A": 0.6, "B": 0.4})
    assert not result.possible
    assert result.empty_categories == ["B"]
    assert result.value is None
    assert result.unweighted.value == pytest.approx(0.25)


def test_an_empty_category_with_no_target_does_not_stop_the_reweighting():
    result = post_stratify({"A": 5, "B": 0}, {"A": 20}, {"A": 1.0, "B": 0.0})
    assert result.possible
    assert result.value == pytest.approx(0.25)


def test_reweighting_with_no_answers_at_all_is_impossible():
    result = post_stratify({NO_ANSWER: 3}, {NO_ANSWER: 30}, {"A": 0.5, "B": 0.5})
    assert not result.possible
    assert result.empty_categories == ["A", "B"]
    assert result.left_out == 30


def test_a_category_without_a_target_is_left_out_of_the_reweighting():
    # Z ("Prefer not to say") has no target: like no answer, it is left out and counted.
    result = post_stratify(
        {"A": 2, "B": 9, "Z": 10}, {"A": 10, "B": 10, "Z": 10}, {"A": 0.5, "B": 0.5}
    )
    assert result.value == pytest.approx(0.5 * 0.2 + 0.5 * 0.9)
    assert result.unweighted.value == pytest.approx(21 / 30)
    assert result.left_out == 10
    assert set(result.weights) == {"A", "B"}


def test_reweighting_to_the_sample_shares_gives_the_unweighted_share():
    successes, trials = {"A": 7, "B": 12, "C": 30}, {"A": 20, "B": 30, "C": 50}
    targets = {c: n / 100 for c, n in trials.items()}
    result = post_stratify(successes, trials, targets)
    assert result.value == pytest.approx(result.unweighted.value)
    assert result.weights == pytest.approx(dict.fromkeys(trials, 1.0))
    assert np.isfinite([result.low, result.high]).all()


def test_nobody_yet_gives_empty_tables_not_errors():
    groups = groups_across([], [], ["x", "y"])
    assert groups.rows == [NO_GROUP]
    assert all(s is None for s in groups.share_of_row.values())
    statement = statement_across([], [], ["x", "y"])
    assert statement.agree_share("x") is None
    assert not statement.testable


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0, 1, None]), st.sampled_from(["x", "y", "z", None])),
        max_size=120,
    )
)
def test_the_groups_table_and_the_participation_table_together_give_nothing_back(people):
    groups = [g for g, _ in people]
    categories = [c for _, c in people]
    participation = participation_table(categories, ["x", "y", "z"])
    result = groups_across(groups, categories, ["x", "y", "z"])
    if result.table.withheld or participation.withheld:  # nothing of it shown
        return
    assert recoverable_cells(result.table) == set()
    for category in ["x", "y", "z", NO_ANSWER]:
        # What one table shows of a category's count, the other shows too.
        assert result.table.shown(("column", category)) == participation.shown(category)
    assert recoverable_cells(participation) == set()
