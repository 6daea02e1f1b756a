"""An analysis's choices are arguments with defaults, recorded so that it can be made again."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clustering.analysis import analyze
from clustering.matrix import from_dense
from clustering.parameters import DEFAULT, Parameters
from clustering.synthetic import planted


def _two_camps(seed: int = 0, n: int = 120, statements: int = 12):
    rng = np.random.default_rng(seed)
    camp = np.repeat([0, 1], n // 2)
    lean = np.where(camp[:, None] == 0, 0.85, 0.15)
    return from_dense(np.where(rng.random((n, statements)) < lean, 1.0, -1.0))


@pytest.mark.parametrize("profile", ["consult", "polis"])
def test_methodology_records_every_parameter_and_they_make_the_analysis_again(profile):
    chosen = Parameters(max_groups=3, false_discovery_rate=0.01, min_statement_votes=20)
    analysis = analyze(_two_camps(), profile=profile, parameters=chosen)
    recorded = analysis.methodology["parameters"]
    assert Parameters.from_dict(recorded) == chosen
    assert analysis.methodology["claims"]["false_discovery_rate"] == 0.01
    again = analyze(_two_camps(), profile=profile, parameters=Parameters.from_dict(recorded))
    for made in (analysis, again):
        del made.methodology["seconds"]
    assert again == analysis


def test_defaults_are_the_documented_ones():
    assert analyze(_two_camps()).methodology["parameters"]["max_groups"] == 5
    assert Parameters() == DEFAULT
    assert (DEFAULT.min_votes, DEFAULT.min_in_conv, DEFAULT.max_groups) == (7, 15, 5)


@pytest.mark.parametrize("profile", ["consult", "polis"])
def test_max_groups_bounds_the_groups_found(profile):
    conversation = planted("groups", n_groups=4, random_state=0)
    free = analyze(conversation.matrix, profile=profile)
    bounded = analyze(conversation.matrix, profile=profile, parameters=Parameters(max_groups=2))
    assert free.division["n_groups"] > 2
    assert 1 <= bounded.division["n_groups"] <= 2
    if profile == "consult":  # only 1 and 2 groups were cross-validated
        assert set(bounded.division["held_out_log_likelihood"]) == {"1", "2", "spectrum"}


def test_claim_thresholds_change_the_claims():
    matrix = _two_camps(statements=6, n=40)
    loose = analyze(matrix, profile="polis")
    strict = analyze(matrix, profile="polis", parameters=Parameters(min_group_votes=25))

    def differs(analysis):
        return sum(g["differs_from_rest"] for row in analysis.statements for g in row["groups"])

    assert differs(loose) > 0
    assert differs(strict) == 0  # 20 per camp can never reach 25 votes in a group
    unscored = analyze(matrix, parameters=Parameters(min_statement_votes=41))
    assert not any(row["bridging_scored"] for row in unscored.statements)
    assert unscored.consensus == {"agree": [], "disagree": []}


@pytest.mark.parametrize("profile", ["consult", "polis"])
def test_who_is_grouped_follows_min_votes_and_min_in_conv(profile):
    dense = _two_camps(n=40, statements=12).votes.toarray().astype(float)
    dense[::2, 4:] = np.nan  # every other participant voted on 4 statements only
    matrix = from_dense(dense)

    def grouped(**chosen):
        return analyze(matrix, profile=profile, parameters=Parameters(**chosen)).counts["grouped"]

    assert grouped(min_votes=7, min_in_conv=0) <= 20
    assert grouped(min_votes=4, min_in_conv=0) > 20
    assert grouped(min_votes=7, min_in_conv=30) > 20  # topped up to the 30 most active


@pytest.mark.parametrize(
    "bad",
    [
        {"max_groups": 0},
        {"false_discovery_rate": 0.0},
        {"false_discovery_rate": 1.5},
        {"folds": 1},
        {"min_votes": 2.5},
        {"spectrum_z": -1.0},
    ],
)
def test_out_of_range_parameters_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Parameters(**bad)


def test_to_dict_is_asdict_in_field_order():
    chosen = Parameters(min_votes=3, false_discovery_rate=0.1)
    assert list(chosen.to_dict().items()) == list(dataclasses.asdict(chosen).items())
