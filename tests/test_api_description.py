"""The API takes what its OpenAPI description allows, and refuses what it does not."""

from __future__ import annotations

from conftest import join

API = "/api/v1/conversations"


def test_whole_numbers_written_as_12_0_are_integers(client, facilitator, conversation):
    """JSON Schema counts 12.0 as an integer, so the description allows it: so do we."""
    cid = conversation["id"]
    changed = client.patch(
        f"{API}/{cid}", json={"statement_max_length": 140.0}, headers=facilitator.headers
    )
    assert changed.status_code == 200
    assert changed.json["statement_max_length"] == 140
    assert isinstance(changed.json["statement_max_length"], int)

    headers = join(client, cid)
    statement_id = client.get(f"{API}/{cid}/next", headers=headers).json["id"]
    voted = client.post(
        f"{API}/{cid}/votes",
        json={"statement_id": float(statement_id), "vote": -1.0},
        headers=headers,
    )
    assert voted.status_code == 201
    assert voted.json["statement_id"] == statement_id
    assert voted.json["vote"] == -1

    moderated = client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [float(statement_id)], "action": "meta"},
        headers=facilitator.headers,
    )
    assert moderated.status_code == 200


def test_fractions_and_booleans_are_not_integers(client, facilitator, conversation):
    cid = conversation["id"]
    for value in (140.5, True):
        refused = client.patch(
            f"{API}/{cid}", json={"statement_max_length": value}, headers=facilitator.headers
        )
        assert refused.status_code == 400
    assert client.get(f"{API}/{cid}").json["statement_max_length"] == 280


def test_length_counts_what_was_sent_spaces_included(client, conversation):
    """maxLength in the description counts every character: trimming must not let more in."""
    cid = conversation["id"]
    headers = join(client, cid)
    padded = "Trams should run all night." + " " * 260  # 287 characters, 27 once trimmed
    refused = client.post(f"{API}/{cid}/statements", json={"text": padded}, headers=headers)
    assert refused.status_code == 400
    assert "287 characters long; the limit is 280" in refused.json["error"]["message"]
    exact = "Trams should run all night. " + "x" * 252
    assert len(exact) == 280
    accepted = client.post(f"{API}/{cid}/statements", json={"text": exact}, headers=headers)
    assert accepted.status_code == 201


def test_too_many_seeds_is_a_400_that_says_so_not_a_413(client, facilitator):
    seeds = [f"Seed statement number {n} about the buses. " + "x" * 150 for n in range(501)]
    body = {"topic": "Many seeds", "seed_statements": seeds}
    assert len(str(body)) > 64 * 1024  # past the body limit this API once had
    refused = client.post(API, json=body, headers=facilitator.headers)
    assert refused.status_code == 400
    assert "At most 500 seed statements" in refused.json["error"]["message"]


def test_an_unknown_query_parameter_is_refused(client, facilitator, conversation):
    url = f"{API}/{conversation['id']}/statements"
    refused = client.get(f"{url}?stauts=rejected", headers=facilitator.headers)
    assert refused.status_code == 400
    assert "'stauts'" in refused.json["error"]["message"]
    assert "status" in refused.json["error"]["message"]  # what the call does take
    assert client.get(f"{url}?status=rejected", headers=facilitator.headers).status_code == 200


def test_a_body_of_whitespace_is_not_an_empty_body(app, client, conversation):
    url = f"{API}/{conversation['id']}/participants"
    refused = client.post(url, data="\x0b", content_type="application/json")
    assert refused.status_code == 400
    assert client.post(url, data="", content_type="application/json").status_code == 201
