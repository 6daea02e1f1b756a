"""The report's sentences: each rule says what the numbers support, and nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from consult.services.report_sentences import (
    NBSP,
    Claims,
    bridging_sentence,
    claims_of,
    division_sentences,
    group_sentence,
    percent,
    percent_range,
    representative_sentence,
    statement_sentences,
)

LABELS = {0: "Group A", 1: "Group B"}
NO_CLAIMS = Claims(frozenset(), frozenset(), min_statement_votes=10)


def plain(sentences: list[str] | str) -> str:
    text = " ".join(sentences) if isinstance(sentences, list) else sentences
    return text.replace(NBSP, " ")


def group(
    gid: int,
    agree: int,
    disagree: int,
    seen: int,
    interval: tuple[float, float],
    *,
    differs: bool = False,
) -> dict[str, Any]:
    return {
        "group": gid,
        "n_seen": seen,
        "n_agree": agree,
        "n_disagree": disagree,
        "agree_share": agree / seen,
        "agree_interval": list(interval),
        "disagree_share": disagree / seen,
        "disagree_interval": [0.0, 0.2],
        "differs_from_rest": differs,
    }


def row(**changes: Any) -> dict[str, Any]:
    """A statement 82 % of 100 voters agreed with, in two groups that both agree."""
    base = {
        "id": 7,
        "n_seen": 100,
        "n_agree": 82,
        "n_disagree": 10,
        "n_pass": 8,
        "agree_share": 0.82,
        "agree_interval": [0.78, 0.85],
        "disagree_share": 0.10,
        "disagree_interval": [0.05, 0.17],
        "groups_differ": False,
        "groups": [group(0, 45, 5, 52, (0.72, 0.93)), group(1, 37, 5, 48, (0.63, 0.86))],
    }
    return {**base, **changes}


def test_a_tested_consensus_is_a_clear_majority_of_every_group():
    said = plain(statement_sentences(row(), Claims(frozenset({7}), frozenset(), 10), LABELS))
    assert "82 % of the 100 participants who voted on it agreed (78–85 %)" in said
    assert "a clear majority" in said
    assert "including a majority of every group" in said


def test_a_share_above_half_that_the_test_did_not_confirm_is_not_called_a_majority():
    said = plain(statement_sentences(row(), NO_CLAIMS, LABELS))
    assert "a clear majority" not in said.replace("not a clear majority", "")
    assert "not a clear majority once chance is allowed for" in said


def test_a_majority_the_test_confirmed_is_clear_beyond_the_five_listed():
    confirmed = row(consensus_agree_q_value=1e-20, consensus_disagree_q_value=1.0)
    said = plain(statement_sentences(confirmed, NO_CLAIMS, LABELS))  # not in the top five
    assert "agreed (78–85 %): a clear majority, including a majority of every group" in said
    unconfirmed = row(consensus_agree_q_value=0.2, consensus_disagree_q_value=1.0)
    said = plain(statement_sentences(unconfirmed, Claims(frozenset({7}), frozenset(), 10), LABELS))
    assert "not a clear majority once chance is allowed for" in said
    assert "every group" not in said  # never beside "not a clear majority"


def test_one_group_whose_interval_reaches_half_means_no_every_group_claim():
    groups = [group(0, 45, 5, 52, (0.72, 0.93)), group(1, 30, 10, 48, (0.49, 0.76))]
    said = plain(statement_sentences(row(groups=groups), NO_CLAIMS, LABELS))
    assert "every group" not in said


def test_one_group_alone_is_never_every_group():
    said = plain(
        statement_sentences(row(groups=[group(0, 82, 10, 100, (0.7, 0.9))]), NO_CLAIMS, LABELS)
    )
    assert "every group" not in said
    assert "groups voted differently" not in said
    assert "could be chance" not in said


def test_a_group_differs_from_the_rest_only_where_the_test_says_so():
    groups = [
        group(0, 45, 5, 52, (0.72, 0.93)),
        group(1, 10, 30, 48, (0.12, 0.35), differs=True),
    ]
    said = plain(statement_sentences(row(groups=groups, groups_differ=True), NO_CLAIMS, LABELS))
    assert "The groups voted differently on it." in said
    assert "Group B agreed less often than the others (21 % agreed, 12–35 %)." in said
    assert "Group A agreed" not in said  # its own test did not pass


def test_groups_that_differ_with_no_one_group_apart_are_given_their_shares():
    """'The groups voted differently on it.' must not end the account: how, then?"""
    groups = [group(0, 28, 22, 52, (0.40, 0.67)), group(1, 14, 30, 48, (0.19, 0.45))]
    said = plain(statement_sentences(row(groups=groups, groups_differ=True), NO_CLAIMS, LABELS))
    assert "The groups voted differently on it." in said
    assert "By group: Group A 54 % agreed, Group B 29 % agreed." in said
    assert "less often than the others" not in said


def test_without_the_division_test_the_groups_are_not_said_to_differ():
    said = plain(statement_sentences(row(groups_differ=False), NO_CLAIMS, LABELS))
    assert "voted differently" not in said
    assert "Any difference between the groups on it could be chance." in said


def test_a_held_out_test_says_which_groups_it_used():
    """The bars show the groups formed with the statement's votes; the test, groups formed
    without them: "could be chance" beside bars that differ must say so."""
    said = plain(statement_sentences(row(selection="held_out"), NO_CLAIMS, LABELS))
    assert (
        "Tested on groups formed without the votes on this statement, the difference between"
        " the groups could be chance." in said
    )


def test_below_the_minimum_votes_no_claim_is_made_at_all():
    few = row(n_seen=6, n_agree=6, n_pass=0, agree_share=1.0, agree_interval=[0.61, 1.0])
    said = plain(statement_sentences(few, Claims(frozenset({7}), frozenset(), 10), LABELS))
    assert "100 % of the 6 participants who voted on it agreed (61–100 %)." in said
    assert "too few for any claim" in said
    for claim in ("majority", "differently", "chance", "unsure"):
        assert claim not in said


def test_nobody_voting_is_said_plainly():
    assert statement_sentences(row(n_seen=0), NO_CLAIMS, LABELS) == ["Nobody has voted on it yet."]


def test_the_leading_side_is_reported_and_disagreement_can_be_the_majority():
    opposed = row(
        agree_share=0.1,
        agree_interval=[0.05, 0.17],
        disagree_share=0.82,
        disagree_interval=[0.78, 0.85],
        groups=[
            {**group(0, 5, 45, 52, (0.02, 0.2)), "disagree_interval": [0.72, 0.93]},
            {**group(1, 5, 37, 48, (0.04, 0.22)), "disagree_interval": [0.63, 0.86]},
        ],
    )
    said = plain(statement_sentences(opposed, Claims(frozenset(), frozenset({7}), 10), LABELS))
    assert (
        "82 % of the 100 participants who voted on it disagreed (78–85 %): a clear majority" in said
    )
    assert "including a majority of every group" in said


def test_many_passes_are_reported_with_their_interval_and_few_are_not():
    unsure = plain(statement_sentences(row(n_pass=30), NO_CLAIMS, LABELS))
    assert "Many were unsure: 30 % passed (22–40 %)." in unsure
    assert "unsure" not in plain(statement_sentences(row(n_pass=8), NO_CLAIMS, LABELS))


@pytest.mark.parametrize(
    ("division", "expected", "never"),
    [
        ({"strength": "none", "n_groups": 0}, "too few votes to look for opinion groups", "found"),
        ({"strength": "none", "n_groups": 1}, "no real division", "groups were found"),
        (
            {"strength": "spectrum", "n_groups": 1},
            "a spectrum of opinion, not camps",
            "groups were found",
        ),
        (
            {"strength": "weak", "n_groups": 3},
            "3 opinion groups were found, but the division",
            "is clear",
        ),
        (
            {"strength": "clear", "n_groups": 2},
            "2 opinion groups were found; the division between them is clear",
            "weak",
        ),
    ],
)
def test_the_division_is_put_in_words(division, expected, never):
    said = plain(division_sentences(division, {"participants": 200, "grouped": 190}))
    assert expected in said
    assert never not in said


def test_who_was_grouped_is_said_only_when_there_are_groups():
    groups = plain(
        division_sentences(
            {"strength": "clear", "n_groups": 2}, {"participants": 200, "grouped": 190}
        )
    )
    assert "190 of 200 participants (95 %) were placed in a group" in groups
    spectrum = plain(
        division_sentences(
            {"strength": "spectrum", "n_groups": 1}, {"participants": 200, "grouped": 200}
        )
    )
    assert "placed in a group" not in spectrum


def test_a_representative_statement_is_a_claim_only_when_significant():
    numbers = {
        "direction": "agree",
        "n_agree": 78,
        "n_disagree": 10,
        "n_seen": 100,
        "interval": [0.69, 0.85],
    }
    assert plain(representative_sentence({**numbers, "significant": True}, "Group A")) == (
        "78 % of Group A agreed (69–85 %), more than the other participants."
    )
    weak = plain(representative_sentence({**numbers, "significant": False}, "Group A"))
    assert "more than" not in weak
    assert "not a clear difference" in weak


def test_a_group_is_sized_with_its_range():
    said = plain(
        group_sentence(
            {"members": 119, "members_interval": [109.0, 122.5], "pass_rate": 0.09}, "Group A"
        )
    )
    assert said.startswith("Group A: 119 participants (95 % range 109–122)")
    assert "passed on 9 %" in said
    assert "range" not in plain(group_sentence({"members": 1, "members_interval": None}, "Group B"))


@pytest.mark.parametrize(
    ("numbers", "expected", "never"),
    [
        (
            {"bridging_scored": True, "bridging": 0.15, "bridging_interval": [0.09, 0.2]},
            "More agreement than",
            "No clear",
        ),
        (
            {"bridging_scored": True, "bridging": 0.02, "bridging_interval": [-0.03, 0.08]},
            "No clear agreement beyond",
            "More agreement",
        ),
        (
            {"bridging_scored": True, "bridging": -0.1, "bridging_interval": [-0.2, -0.04]},
            "Less agreement than",
            "More agreement",
        ),
        (
            {"bridging_scored": False, "bridging": 0.0, "bridging_interval": None},
            "Too few votes",
            "agreement than",
        ),
    ],
)
def test_bridging_is_claimed_only_when_its_interval_clears_zero(numbers, expected, never):
    said = plain(bridging_sentence(numbers))
    assert expected in said
    assert never not in said


def test_claims_come_from_the_analysis_lists_and_settings():
    claims = claims_of(
        {
            "consensus": {"agree": [1, 2], "disagree": [3]},
            "methodology": {"claims": {"min_votes": 12}},
        }
    )
    assert claims == Claims(frozenset({1, 2}), frozenset({3}), 12)


def test_numbers_keep_their_percent_sign_on_the_same_line():
    assert percent(0.824) == f"82{NBSP}%"
    assert percent_range([0.781, 0.853]) == f"78–85{NBSP}%"
