"""Bridging scores shrink at low counts, need a minimum of votes, and carry an interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator, cg

from clustering import bridging
from clustering.analysis import Analysis, analyze
from clustering.bridging import _conjugate_gradients, bridging_scores, penalties
from clustering.matrix import from_dense
from clustering.parameters import DEFAULT
from clustering.polis_export import read_export

NAN = np.nan
DATA = Path(__file__).parent / "data" / "polis"


def _conversation(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """200 people on an axis, 20 statements; statement 0 agreed by everyone who saw it."""
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=200)
    lean = 1 / (1 + np.exp(-2 * axis[:, None] * rng.choice([-1, 1], size=20)))
    dense = np.where(rng.random((200, 20)) < lean, 1.0, -1.0)
    dense[rng.random(dense.shape) < 0.4] = NAN
    dense[:, 0] = np.where(np.isnan(dense[:, 0]), NAN, 1.0)
    return dense, axis


def test_penalties_follow_community_notes_means():
    # λ on a mean of squares = λ·N/count on a sum of squares (N votes).
    lam = penalties(n_votes=6000, n_participants=200, n_statements=20)
    assert lam.statement_intercept == pytest.approx(0.15 * 300)
    assert lam.participant_intercept == pytest.approx(0.15 * 30)
    assert lam.statement_factor == pytest.approx(0.03 * 300)


def test_one_vote_statement_is_shrunk_toward_zero_and_not_scored():
    dense, axis = _conversation()
    dense[:, 1] = NAN
    dense[0, 1] = 1  # one agree vote
    fitted = bridging_scores(from_dense(dense).votes, axis)
    assert fitted.votes[1] == 1
    assert not fitted.scored[1]
    assert fitted.statement_intercepts[1] == 0.0
    # Scored anyway, the one vote barely moves it: about 1 / (1 + 0.15·N/m) of its raw
    # residual (~0.5) is kept. A penalty of 0.15 on the sum would keep 1 / 1.15 of it.
    anyway = bridging_scores(from_dense(dense).votes, axis, min_votes=1)
    assert abs(anyway.statement_intercepts[1]) < 0.05
    assert anyway.statement_intercepts[0] > 0.2  # everyone who saw it agreed (~120 votes)
    # The statement everyone agrees with bridges, with an interval around it.
    low, high = fitted.intervals[0]
    assert fitted.scored[0]
    assert low < fitted.statement_intercepts[0] < high
    assert fitted.statement_intercepts[0] == pytest.approx(fitted.statement_intercepts.max())


def test_interval_narrows_with_votes():
    dense, axis = _conversation(1)
    votes = from_dense(dense).votes
    fitted = bridging_scores(votes, axis)
    width = fitted.intervals[:, 1] - fitted.intervals[:, 0]
    fewer = dense.copy()
    fewer[40:, 5] = NAN
    narrow = bridging_scores(from_dense(fewer).votes, axis)
    assert (narrow.intervals[5, 1] - narrow.intervals[5, 0]) > width[5]


def test_vtaiwan_top_bridging_statements_have_many_votes():
    export = read_export(DATA / "vtaiwan.uberx")
    analysis = analyze(export.records(), **export.statements(), profile="polis")
    assert Analysis.from_json(analysis.to_json()) == analysis
    top = sorted(analysis.statements, key=lambda row: -row["bridging"])[:5]
    assert min(row["bridging_votes"] for row in top) >= 20
    for row in top:
        low, high = row["bridging_interval"]
        assert low < row["bridging"] < high
    unscored = [row for row in analysis.statements if not row["bridging_scored"]]
    assert all(row["bridging"] == 0.0 and row["bridging_interval"] is None for row in unscored)
    assert all(row["bridging_votes"] < DEFAULT.min_statement_votes for row in unscored)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*/")))
def test_default_tolerance_shows_the_same_scores_as_a_tight_solve(name, monkeypatch):
    # Scores and intervals are shown to 3 decimals at most, and ranked: both must be
    # those of a solve to a residual 10⁶ times smaller.
    export = read_export(DATA / name)
    matrix = export.matrix()
    analysis = analyze(matrix, **export.statements(), profile="polis")
    eligible = ~matrix.statements_in([*export.moderated_out.tolist(), *export.meta.tolist()])
    votes = matrix.votes[:, eligible]
    axis = np.array([p["x"] for p in analysis.participants])
    shown = bridging_scores(votes, axis)  # small conversations: the dense solve
    monkeypatch.setattr(bridging, "DIRECT_SOLVE_UP_TO", 0)
    tight = bridging_scores(votes, axis, tolerance=1e-12)
    for loose, exact in [
        (shown.statement_intercepts, tight.statement_intercepts),
        (shown.intervals, tight.intervals),
    ]:
        np.testing.assert_allclose(loose, exact, rtol=0, atol=1e-6)
        np.testing.assert_array_equal(np.round(loose, 3), np.round(exact, 3))
    ranked = np.argsort(-shown.statement_intercepts[shown.scored], kind="stable")
    tight_ranked = np.argsort(-tight.statement_intercepts[tight.scored], kind="stable")
    np.testing.assert_array_equal(ranked, tight_ranked)


@pytest.mark.parametrize("name", ["15-per-hour-seattle", "london.youth.policing"])
def test_a_small_conversations_dense_solve_is_conjugate_gradients_to_the_end(name, monkeypatch):
    export = read_export(DATA / name)
    matrix = export.matrix()
    eligible = ~matrix.statements_in([*export.moderated_out.tolist(), *export.meta.tolist()])
    votes = matrix.votes[:, eligible]
    axis = np.random.default_rng(0).normal(size=votes.shape[0])
    assert votes.shape[0] * (1 + 2 * votes.shape[1]) ** 2 <= bridging.DIRECT_SOLVE_UP_TO
    dense = bridging_scores(votes, axis)
    monkeypatch.setattr(bridging, "DIRECT_SOLVE_UP_TO", 0)
    iterated = bridging_scores(votes, axis, tolerance=1e-13)
    for got, expected in [
        (dense.statement_intercepts, iterated.statement_intercepts),
        (dense.statement_factors, iterated.statement_factors),
        (dense.intervals, iterated.intervals),
    ]:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert dense.mean == pytest.approx(iterated.mean, abs=1e-12)


def test_conjugate_gradients_take_scipys_steps():
    """The plain loop gives scipy's cg result to the bit (same operations, same order)."""
    rng = np.random.default_rng(0)
    factor = rng.normal(size=(60, 40))
    system = factor.T @ factor + np.eye(40)
    right_side = rng.normal(size=40)
    diagonal = np.diag(system)
    expected, _ = cg(
        LinearOperator((40, 40), matvec=lambda x: system @ x, dtype=float),
        right_side,
        rtol=1e-6,
        maxiter=1000,
        M=LinearOperator((40, 40), matvec=lambda r: r / diagonal, dtype=float),
    )
    ours = _conjugate_gradients(lambda x: system @ x, right_side, lambda r: r / diagonal, 1e-6)
    np.testing.assert_array_equal(ours, expected)
