"""The citizen's pages through plain forms (no JavaScript): post, redirect, get."""

from __future__ import annotations

import re

from conftest import create_conversation, join

API = "/api/v1/conversations"


def shown_statement_id(page: bytes) -> int:
    match = re.search(rb'name="statement_id" id="statement-id" value="(\d+)"', page)
    assert match, "no statement on the page"
    return int(match.group(1))


def test_page_shows_question_a_statement_and_what_is_left(client, facilitator):
    conversation = create_conversation(client, facilitator, question="Where next?", description="Say it.")
    page = client.get(f"/c/{conversation['id']}")
    assert page.status_code == 200
    for text in (b"Transport", b"Where next?", b"Say it.", b"3 statements left", b"Agree", b"Disagree"):
        assert text in page.data


def test_voting_by_form_redirects_to_the_next_statement(client, conversation):
    cid = conversation["id"]
    first = shown_statement_id(client.get(f"/c/{cid}").data)
    response = client.post(f"/c/{cid}/vote", data={"statement_id": first, "vote": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{cid}")
    page = client.get(f"/c/{cid}").data
    assert b"2 statements left" in page
    assert shown_statement_id(page) != first
    assert client.get(f"{API}/{cid}").json["counts"] == {"participants": 1, "votes": 1, "statements": 3}


def test_after_the_last_vote_the_page_says_thank_you(client, conversation):
    cid = conversation["id"]
    for _ in range(3):
        statement_id = shown_statement_id(client.get(f"/c/{cid}").data)
        client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "0"})
    page = client.get(f"/c/{cid}").data
    assert b"You have seen every statement for now." in page
    assert b'id="vote-form"' not in page


def test_vote_answers_json_with_the_next_statement_for_scripts(client, conversation):
    cid = conversation["id"]
    first = shown_statement_id(client.get(f"/c/{cid}").data)
    response = client.post(
        f"/c/{cid}/vote", data={"statement_id": first, "vote": "-1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json["remaining"] == 2
    assert response.json["next"]["id"] != first


def test_earlier_vote_can_be_changed_on_the_votes_page(client, conversation):
    cid = conversation["id"]
    statement_id = shown_statement_id(client.get(f"/c/{cid}").data)
    client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "1"})
    history = client.get(f"/c/{cid}/votes").data
    assert b'value="1" aria-pressed="true"' in history
    changed = client.post(
        f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "-1", "return_to": "votes"}
    )
    assert changed.headers["Location"].endswith(f"/c/{cid}/votes")
    history = client.get(f"/c/{cid}/votes").data
    assert b'value="-1" aria-pressed="true"' in history
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 1


def test_bad_form_vote_is_a_400_page_and_changes_nothing(client, conversation):
    cid = conversation["id"]
    for data in ({"statement_id": "1", "vote": "2"}, {"statement_id": "x", "vote": "1"}, {}):
        response = client.post(f"/c/{cid}/vote", data=data)
        assert response.status_code == 400
        assert b"<!doctype html>" in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 0


def test_statement_added_by_form_is_confirmed(client, conversation):
    cid = conversation["id"]
    response = client.post(f"/c/{cid}/statements", data={"text": "Trams, not buses."}, follow_redirects=True)
    assert b"Your statement is added" in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


def test_duplicate_by_form_shows_the_existing_statement_and_keeps_the_draft(client, conversation):
    cid = conversation["id"]
    response = client.post(
        f"/c/{cid}/statements", data={"text": "parking in the centre is TOO cheap"}, follow_redirects=True
    )
    assert "already here: “Parking in the centre is too cheap.”".encode() in response.data
    assert b">parking in the centre is TOO cheap</textarea>" in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3


def test_statement_waits_for_moderation_under_strict_moderation(client, facilitator):
    conversation = create_conversation(client, facilitator, strict_moderation=True)
    response = client.post(
        f"/c/{conversation['id']}/statements", data={"text": "Ferries too"}, follow_redirects=True
    )
    assert b"shown to others once a facilitator has read it" in response.data
    assert client.get(f"{API}/{conversation['id']}").json["counts"]["statements"] == 3


def test_closed_consultation_is_readable_but_takes_nothing(client, facilitator, conversation):
    cid = conversation["id"]
    client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    page = client.get(f"/c/{cid}").data
    assert b"This consultation is closed." in page
    assert b"<fieldset disabled>" in page
    assert b'id="statement-form"' not in page
    assert client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"}).status_code == 409
    assert client.post(f"/c/{cid}/statements", data={"text": "New one"}).status_code == 302
    assert client.get(f"{API}/{cid}").json["counts"] == {"participants": 1, "votes": 0, "statements": 3}


def test_xid_consultation_needs_the_personal_link(client, facilitator):
    conversation = create_conversation(client, facilitator, require_xid=True)
    cid = conversation["id"]
    assert b"only through the personal link" in client.get(f"/c/{cid}").data
    assert client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"}).status_code == 403
    statement_id = shown_statement_id(client.get(f"/c/{cid}?xid=person-9").data)
    assert client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "1"}).status_code == 302
    # The same xid through the API is the same participant, who has voted once already.
    headers = join(client, cid, xid="person-9")
    assert client.get(f"{API}/{cid}/next", headers=headers).json["remaining"] == 2


def test_unknown_consultation_is_a_404_page(client):
    response = client.get("/c/does-not-exist")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_start_page_links_to_the_demo_when_there_is_one(app, client):
    from consult.demo import ensure_demo

    assert b"Take part in the demo" not in client.get("/").data
    with app.app_context():
        ensure_demo()
    page = client.get("/").data
    assert b'href="/c/demo"' in page
    assert b"12 statements left" in client.get("/c/demo").data
