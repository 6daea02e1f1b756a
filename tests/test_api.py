"""The JSON API as its users call it: facilitators with a token, participants with theirs."""

from __future__ import annotations

import pytest
from conftest import SEEDS, create_conversation, join, make_facilitator

from consult.extensions import db

API = "/api/v1/conversations"


def next_statement(client, conversation_id, headers):
    return client.get(f"{API}/{conversation_id}/next", headers=headers)


def vote(client, conversation_id, headers, statement_id, value):
    return client.post(
        f"{API}/{conversation_id}/votes",
        json={"statement_id": statement_id, "vote": value},
        headers=headers,
    )


def post_statement(client, cid, headers, text, **extra):
    return client.post(f"{API}/{cid}/statements", json={"text": text, **extra}, headers=headers)


def counts(client, conversation_id):
    return client.get(f"{API}/{conversation_id}").json["counts"]


def test_create_conversation_returns_it_with_seed_statements(client, facilitator):
    created = create_conversation(client, facilitator, description="Why", strict_moderation=True)
    assert created["topic"] == "Transport"
    assert created["strict_moderation"] is True
    assert created["counts"] == {"participants": 0, "votes": 0, "statements": len(SEEDS)}
    listed = client.get(f"{API}/{created['id']}/statements").json
    assert [s["text"] for s in listed["statements"]] == SEEDS


def test_create_conversation_needs_a_facilitator_token(client):
    response = client.post(API, json={"topic": "x"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"
    wrong = client.post(API, json={"topic": "x"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"topic": ""},
        {"topic": 5},
        {"topic": "x" * 201},
        {"topic": "\u0007\u202e"},
        {"topic": "x", "seed_statements": "not a list"},
        {"topic": "x", "seed_statements": [1]},
        {"topic": "x", "seed_statements": ["same", "Same!"]},
        {"topic": "x", "is_open": "yes"},
        {"topic": "x", "statement_max_length": 0},
        {"topic": "x", "statement_max_length": True},
        {"topic": "x", "colour": "red"},
    ],
)
def test_bad_conversation_is_refused_and_nothing_is_created(client, facilitator, body):
    response = client.post(API, json=body, headers=facilitator.headers)
    assert 400 <= response.status_code < 500
    assert set(response.json["error"]) >= {"code", "message"}
    assert client.get(API, headers=facilitator.headers).json["conversations"] == []


def test_participant_walks_through_every_statement_once(client, conversation):
    headers = join(client, conversation["id"])
    seen = []
    while (response := next_statement(client, conversation["id"], headers)).status_code == 200:
        statement = response.json
        assert statement["remaining"] == len(SEEDS) - len(seen)
        assert statement["id"] not in seen
        seen.append(statement["id"])
        assert vote(client, conversation["id"], headers, statement["id"], 1).status_code == 201
    assert response.status_code == 204
    assert len(seen) == len(SEEDS)
    assert counts(client, conversation["id"]) == {"participants": 1, "votes": 3, "statements": 3}


def test_changed_vote_replaces_the_earlier_one_and_both_are_logged(app, client, conversation):
    from consult.models import Vote, VoteEvent

    headers = join(client, conversation["id"])
    statement_id = next_statement(client, conversation["id"], headers).json["id"]
    assert vote(client, conversation["id"], headers, statement_id, 1).status_code == 201
    assert vote(client, conversation["id"], headers, statement_id, -1).status_code == 201
    assert counts(client, conversation["id"])["votes"] == 1
    with app.app_context():
        assert [v.value for v in db.session.query(Vote)] == [-1]
        assert [e.value for e in db.session.query(VoteEvent).order_by(VoteEvent.id)] == [1, -1]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"statement_id": 1, "vote": 2}, 400),
        ({"statement_id": 1, "vote": "1"}, 400),
        ({"statement_id": 1, "vote": True}, 400),
        ({"statement_id": 1, "vote": 1.5}, 400),
        ({"statement_id": "1", "vote": 1}, 404),
        ({"statement_id": 10**30, "vote": 1}, 404),
        ({"statement_id": 999, "vote": 1}, 404),
        ({"vote": 1}, 400),
        ({"statement_id": 1, "vote": 1, "extra": 0}, 400),
    ],
)
def test_bad_vote_is_refused_and_nothing_is_stored(client, conversation, body, status):
    headers = join(client, conversation["id"])
    response = client.post(f"{API}/{conversation['id']}/votes", json=body, headers=headers)
    assert response.status_code == status
    assert counts(client, conversation["id"])["votes"] == 0


def test_vote_needs_a_participant_token_of_this_conversation(client, facilitator, conversation):
    other = create_conversation(client, facilitator, topic="Other")
    headers = join(client, other["id"])
    assert vote(client, conversation["id"], {}, 1, 1).status_code == 401
    assert vote(client, conversation["id"], {"Authorization": "Bearer x"}, 1, 1).status_code == 401
    assert vote(client, conversation["id"], headers, 1, 1).status_code == 403


def test_vote_on_statement_of_another_conversation_is_a_404(client, facilitator, conversation):
    other = create_conversation(client, facilitator, topic="Other", seed_statements=["Elsewhere"])
    other_statement = client.get(f"{API}/{other['id']}/statements").json["statements"][0]["id"]
    headers = join(client, conversation["id"])
    assert vote(client, conversation["id"], headers, other_statement, 1).status_code == 404


def test_closed_consultation_takes_no_votes_or_statements(client, facilitator, conversation):
    headers = join(client, conversation["id"])
    statement_id = next_statement(client, conversation["id"], headers).json["id"]
    closed = client.patch(
        f"{API}/{conversation['id']}", json={"is_open": False}, headers=facilitator.headers
    )
    assert closed.json["is_open"] is False
    refused = vote(client, conversation["id"], headers, statement_id, 1)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "consultation_closed"
    text = client.post(
        f"{API}/{conversation['id']}/statements", json={"text": "New"}, headers=headers
    )
    assert text.status_code == 409
    assert next_statement(client, conversation["id"], headers).status_code == 409
    assert client.get(f"{API}/{conversation['id']}").status_code == 200  # still readable
    assert counts(client, conversation["id"]) == {"participants": 1, "votes": 0, "statements": 3}


def test_statement_is_added_and_shown_to_others(client, conversation):
    author = join(client, conversation["id"])
    response = client.post(
        f"{API}/{conversation['id']}/statements",
        json={"text": "  Trams, not buses.  "},
        headers=author,
    )
    assert response.status_code == 201
    assert response.json["text"] == "Trams, not buses."
    other = join(client, conversation["id"])
    assert next_statement(client, conversation["id"], other).json["remaining"] == 4


@pytest.mark.parametrize(
    "text", ["Parking in the centre is too cheap.", "PARKING in the centre -- is too cheap!"]
)
def test_duplicate_statement_is_refused_naming_the_existing_one(client, conversation, text):
    headers = join(client, conversation["id"])
    response = client.post(
        f"{API}/{conversation['id']}/statements", json={"text": text}, headers=headers
    )
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "duplicate_statement"
    assert error["existing"]["text"] == "Parking in the centre is too cheap."
    assert counts(client, conversation["id"])["statements"] == 3


def test_similar_statement_is_offered_back_then_added_anyway(client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    near = {"text": "Parking in the centre is to cheap!"}
    offered = client.post(f"{API}/{cid}/statements", json=near, headers=headers)
    assert offered.status_code == 409
    error = offered.json["error"]
    assert error["code"] == "similar_statement"
    assert error["message"] == "A similar statement exists: vote on it, or add yours anyway."
    assert [s["text"] for s in error["similar"]] == ["Parking in the centre is too cheap."]
    assert counts(client, cid)["statements"] == 3

    anyway = {**near, "add_anyway": True}
    added = client.post(f"{API}/{cid}/statements", json=anyway, headers=headers)
    assert added.status_code == 201
    assert added.json["text"] == near["text"]
    assert counts(client, cid)["statements"] == 4


def test_add_anyway_never_adds_an_exact_duplicate(client, conversation):
    cid = conversation["id"]
    body = {"text": "parking in the centre is too cheap", "add_anyway": True}
    response = client.post(f"{API}/{cid}/statements", json=body, headers=join(client, cid))
    assert response.json["error"]["code"] == "duplicate_statement"


@pytest.mark.parametrize("flag", ["yes", 1, None, []])
def test_add_anyway_must_be_a_boolean(client, conversation, flag):
    cid = conversation["id"]
    body = {"text": "Parking in the centre is to cheap!", "add_anyway": flag}
    response = client.post(f"{API}/{cid}/statements", json=body, headers=join(client, cid))
    assert response.status_code == 400
    assert response.json["error"]["field"] == "add_anyway"


@pytest.mark.parametrize(
    "text",
    [
        "Parking in the centre is not too cheap.",
        "Parking in the centre isn't too cheap.",
        "Buses should run every 10 minutes.",
        "Buses should run every twenty minutes.",
        "Buses should never run every ten minutes.",
    ],
)
def test_opposite_statement_is_added_at_once(client, conversation, text):
    cid = conversation["id"]
    headers = join(client, cid)
    response = client.post(f"{API}/{cid}/statements", json={"text": text}, headers=headers)
    assert response.status_code == 201, response.json
    assert counts(client, cid)["statements"] == 4


SIGNED = [
    "Parking fees should change by +10% next year.",
    "Heating should start below 5 degrees.",
    "The library should offer C++ courses.",
    "Speed limits should stay < 30 km/h in town.",
    "Bus fares should rise by \u20ac2 at most.",
]


@pytest.mark.parametrize(
    "text",
    [
        "Parking fees should change by -10% next year.",
        "Parking fees should change by \u221210% next year.",
        "Heating should start below -5 degrees.",
        "The library should offer C courses.",
        "Speed limits should stay > 30 km/h in town.",
        "Speed limits should stay \u226e 30 km/h in town.",
        "Parking fees should change by \u00b110% next year.",
        "Heating should start below \u20135 degrees.",
        "Parking fees should change by +10\u2030 next year.",
        "Parking fees should change by +10 next year.",
        "Bus fares should rise by $2 at most.",
        "Bus fares should rise by 2 at most.",
    ],
)
def test_a_statement_that_differs_by_a_sign_is_added_at_once(client, facilitator, text):
    """A sign says the opposite ("+10%", "-10%"): never the same, nor offered as similar."""
    cid = create_conversation(client, facilitator, seed_statements=SIGNED)["id"]
    response = post_statement(client, cid, join(client, cid), text)
    assert response.status_code == 201, response.json


def test_a_repeat_with_its_signs_is_still_a_duplicate(client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=SIGNED)["id"]
    text = "parking fees should change by + 10 % next year"
    response = post_statement(client, cid, join(client, cid), text, add_anyway=True)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "duplicate_statement"


@pytest.mark.parametrize(
    "text",
    [
        *["", "   ", "!!!", "+", "< >", "x" * 281, None, 5, ["a"]],
        *["a\x00b", "\ud800", "\u202e\u0007"],
    ],
)
def test_bad_statement_text_is_refused(client, conversation, text):
    headers = join(client, conversation["id"])
    response = client.post(
        f"{API}/{conversation['id']}/statements", json={"text": text}, headers=headers
    )
    assert response.status_code == 400
    assert counts(client, conversation["id"])["statements"] == 3


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Trams\u0007 all night", "Trams all night"),  # a bell would show as a box
        ("\u202eTrams all night", "Trams all night"),  # an override would show it reversed
        ("Trams \u2067all\u2069 night", "Trams all night"),
        ("Trams\x0call night", "Trams\nall night"),  # a form feed, pasted from a PDF
        ("Trams\tall night \u200f\u061c", "Trams\tall night \u200f\u061c"),
        (
            "Trams all night \U0001f469\u200d\U0001f4bb",
            "Trams all night \U0001f469\u200d\U0001f4bb",
        ),
    ],
)
def test_invisible_controls_are_taken_out_not_refused(client, conversation, sent, kept):
    """What people paste carries characters they cannot see: no one is turned away for them."""
    cid = conversation["id"]
    response = post_statement(client, cid, join(client, cid), sent)
    assert response.status_code == 201, response.json
    assert response.json["text"] == kept


def test_statement_length_limit_is_set_per_conversation(client, facilitator):
    conversation = create_conversation(
        client, facilitator, statement_max_length=10, seed_statements=[]
    )
    headers = join(client, conversation["id"])
    url = f"{API}/{conversation['id']}/statements"
    assert client.post(url, json={"text": "x" * 11}, headers=headers).status_code == 400
    assert client.post(url, json={"text": "y" * 10}, headers=headers).status_code == 201


def test_strict_moderation_holds_statements_until_accepted(client, facilitator):
    conversation = create_conversation(client, facilitator, strict_moderation=True)
    cid = conversation["id"]
    author = join(client, cid)
    pending = client.post(f"{API}/{cid}/statements", json={"text": "Ferries too"}, headers=author)
    assert pending.status_code == 202
    assert pending.json["status"] == "unmoderated"
    reader = join(client, cid)
    assert next_statement(client, cid, reader).json["remaining"] == 3
    assert vote(client, cid, reader, pending.json["id"], 1).status_code == 404

    queue = client.get(f"{API}/{cid}/statements?status=unmoderated", headers=facilitator.headers)
    assert [s["id"] for s in queue.json["statements"]] == [pending.json["id"]]
    accepted = client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [pending.json["id"]], "action": "accept"},
        headers=facilitator.headers,
    )
    assert accepted.json == {"changed": 1}
    assert next_statement(client, cid, reader).json["remaining"] == 4


def test_rejected_statement_is_never_shown(client, facilitator, conversation):
    cid = conversation["id"]
    rejected_id = client.get(f"{API}/{cid}/statements").json["statements"][0]["id"]
    response = client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [rejected_id], "action": "reject"},
        headers=facilitator.headers,
    )
    assert response.status_code == 200
    headers = join(client, cid)
    shown = set()
    while (r := next_statement(client, cid, headers)).status_code == 200:
        shown.add(r.json["id"])
        vote(client, cid, headers, r.json["id"], 0)
    assert rejected_id not in shown
    assert len(shown) == 2
    assert vote(client, cid, headers, rejected_id, 1).status_code == 409


def test_facilitator_cannot_run_someone_elses_conversation(app, client, conversation):
    intruder = make_facilitator(app, "intruder@example.org")
    cid = conversation["id"]
    patch = client.patch(f"{API}/{cid}", json={"is_open": False}, headers=intruder.headers)
    assert patch.status_code == 404
    moderation = client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [1], "action": "reject"},
        headers=intruder.headers,
    )
    assert moderation.status_code == 404
    assert client.get(API, headers=intruder.headers).json["conversations"] == []
    assert client.get(f"{API}/{cid}").json["is_open"] is True


def test_unknown_conversation_is_a_json_404(client):
    for response in (
        client.get(f"{API}/nope"),
        client.post(f"{API}/nope/participants"),
        client.get(f"{API}/nope/analysis"),
        client.get("/api/v1/no-such-route"),
    ):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405(client):
    response = client.delete(API)
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_analysis_is_404_until_one_is_stored_then_the_latest(app, client, conversation):
    from consult.services.analyses import store_analysis
    from consult.services.consultations import get_conversation

    cid = conversation["id"]
    assert client.get(f"{API}/{cid}/analysis").status_code == 404
    with app.app_context():
        store_analysis(get_conversation(cid), {"groups": [], "n": 1})
        store_analysis(get_conversation(cid), {"groups": [], "n": 2})
    response = client.get(f"{API}/{cid}/analysis")
    assert response.status_code == 200
    assert response.json["version"] == 2
    assert response.json["analysis"] == {"groups": [], "n": 2}


# -- duplicates: only what the author may see ---------------------------------------------

HOSTILE = "The staff are lazy idiots and should all be sacked today."


def test_rejected_statement_is_never_quoted_and_its_text_may_be_sent_again(client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    first = post_statement(client, cid, join(client, cid), HOSTILE)
    assert first.status_code == 201
    moderation = {"statement_ids": [first.json["id"]], "action": "reject"}
    response = client.post(f"{API}/{cid}/moderation", json=moderation, headers=facilitator.headers)
    assert response.status_code == 200, response.json

    other = join(client, cid)
    near = post_statement(client, cid, other, HOSTILE.replace("today", "at once"))
    assert near.status_code == 201, near.json  # not offered back: it is hidden
    again = post_statement(client, cid, other, HOSTILE.upper())
    assert again.status_code == 201, again.json
    assert again.json["id"] != first.json["id"]
    assert counts(client, cid)["statements"] == 5  # visible ones: the rejected one is not


def test_unread_statement_of_another_does_not_block_under_strict_moderation(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    assert post_statement(client, cid, join(client, cid), HOSTILE).status_code == 202
    other = join(client, cid)
    near = post_statement(client, cid, other, HOSTILE.replace("today", "at once"))
    assert near.status_code == 202, near.json
    same = post_statement(client, cid, other, HOSTILE.lower())
    assert same.status_code == 202, same.json
    assert HOSTILE not in str(same.json)


@pytest.mark.parametrize("seeds", [["a", "b", "a"], ["Ok, fine.", "b", "ok fine"]])
def test_seeds_repeating_one_another_name_the_place_not_an_id_never_saved(
    client, facilitator, seeds
):
    body = {"topic": "t", "seed_statements": seeds}
    response = client.post(API, json=body, headers=facilitator.headers)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["existing"] == {
        "id": None,
        "text": seeds[0],
        "status": "accepted",
        "seed_index": 0,
    }
    assert error["message"].startswith("Statement 3 repeats statement 1 of the same list")
    assert client.get(API, headers=facilitator.headers).json["conversations"] == []


def test_own_pending_statement_is_not_added_twice(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    me = join(client, cid)
    first = post_statement(client, cid, me, HOSTILE)
    assert first.status_code == 202
    again = post_statement(client, cid, me, HOSTILE.lower(), add_anyway=True)
    assert again.status_code == 409
    error = again.json["error"]
    assert error["code"] == "duplicate_statement"
    assert error["message"] == "You have already sent this statement; it waits for a facilitator."
    assert error["existing"]["id"] == first.json["id"]


def test_long_cjk_statements_are_compared_by_hash(client, facilitator):
    cid = create_conversation(client, facilitator, statement_max_length=2000)["id"]
    long_text = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(2000))
    me = join(client, cid)
    assert post_statement(client, cid, me, long_text).status_code == 201
    again = post_statement(client, cid, join(client, cid), long_text)
    assert again.json["error"]["code"] == "duplicate_statement"
