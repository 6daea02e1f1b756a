"""The citizen's pages through plain forms (no JavaScript): post, redirect, get."""

from __future__ import annotations

import json
import re

import pytest
from conftest import create_conversation, join, make_app
from helpers import moderate, personal_link, shown_statement_id, xid_signature

from consult.extensions import db
from consult.models import Conversation
from consult.services import participants, votes
from consult.services import statements as statements_service

API = "/api/v1/conversations"


def test_page_shows_question_a_statement_and_what_is_left(client, facilitator):
    conversation = create_conversation(
        client, facilitator, question="Where next?", description="Say it."
    )
    page = client.get(f"/c/{conversation['id']}")
    assert page.status_code == 200
    for text in (
        b"Transport",
        b"Where next?",
        b"Say it.",
        b"3 statements left",
        b"Agree",
        b"Disagree",
    ):
        assert text in page.data


def test_voting_by_form_redirects_to_the_next_statement(client, conversation):
    cid = conversation["id"]
    first = shown_statement_id(client.get(f"/c/{cid}").data)
    response = client.post(f"/c/{cid}/vote", data={"statement_id": first, "vote": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{cid}#statement-text")
    page = client.get(f"/c/{cid}").data
    assert b"2 statements left" in page
    assert shown_statement_id(page) != first
    assert client.get(f"{API}/{cid}").json["counts"] == {
        "participants": 1,
        "votes": 1,
        "statements": 3,
    }


def test_after_the_last_vote_the_page_says_thank_you(client, conversation):
    cid = conversation["id"]
    for _ in range(3):
        statement_id = shown_statement_id(client.get(f"/c/{cid}").data)
        client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "0"})
    page = client.get(f"/c/{cid}").data
    assert b"You have seen every statement for now." in page
    assert re.search(
        rb'id="vote-form" method="post" hidden', page
    )  # shown again when new ones come


def test_vote_answers_json_with_the_next_statement_for_scripts(client, conversation):
    cid = conversation["id"]
    first = shown_statement_id(client.get(f"/c/{cid}").data)
    response = client.post(
        f"/c/{cid}/vote",
        data={"statement_id": first, "vote": "-1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["remaining"] == 2
    assert response.json["next"]["id"] != first
    assert response.json["voted_count"] == 1
    again = client.post(  # a change of mind: still one vote
        f"/c/{cid}/vote",
        data={"statement_id": first, "vote": "1"},
        headers={"Accept": "application/json"},
    )
    assert again.json["voted_count"] == 1


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("reject", "This statement was withdrawn by the moderators."),
        ("unmoderate", "There is no such statement in this consultation."),  # back in the queue
    ],
)
def test_a_statement_withdrawn_while_on_screen_moves_the_form_on(client, facilitator, action, said):
    """The vote is not taken; the page says why and shows the next statement, no dead end."""
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    shown = shown_statement_id(client.get(f"/c/{cid}").data)
    moderate(client, facilitator, cid, [shown], action)
    response = client.post(f"/c/{cid}/vote", data={"statement_id": shown, "vote": "-1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{cid}#statement-text")
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    assert said in page
    assert shown_statement_id(page) != shown
    assert "2 statements left" in page  # nothing was counted


def test_a_statement_withdrawn_while_on_screen_answers_a_script_with_the_next(client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    shown = shown_statement_id(client.get(f"/c/{cid}").data)
    moderate(client, facilitator, cid, [shown], "reject")
    response = client.post(
        f"/c/{cid}/vote",
        data={"statement_id": shown, "vote": "-1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "statement_withdrawn"
    assert error["next"]["id"] != shown
    assert error["remaining"] == 2
    listed = client.get(f"/c/{cid}/votes").get_data(as_text=True)
    assert "You have not voted yet." in listed


def test_a_vote_changed_on_a_withdrawn_statement_says_so_on_the_votes_page(client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    shown = shown_statement_id(client.get(f"/c/{cid}").data)
    client.post(f"/c/{cid}/vote", data={"statement_id": shown, "vote": "1"})
    moderate(client, facilitator, cid, [shown], "reject")
    form = {"statement_id": shown, "vote": "-1", "return_to": "votes"}
    response = client.post(f"/c/{cid}/vote", data=form)
    assert response.headers["Location"].endswith(f"/c/{cid}/votes")
    listed = client.get(f"/c/{cid}/votes").get_data(as_text=True)
    assert "This statement was withdrawn by the moderators." in listed


def test_earlier_vote_can_be_changed_on_the_votes_page(client, conversation):
    cid = conversation["id"]
    statement_id = shown_statement_id(client.get(f"/c/{cid}").data)
    client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "1"})
    history = client.get(f"/c/{cid}/votes").data
    assert b'value="1" class="vote-agree" aria-pressed="true"' in history
    changed = client.post(
        f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "-1", "return_to": "votes"}
    )
    assert changed.headers["Location"].endswith(f"/c/{cid}/votes#vote-{statement_id}")
    history = client.get(f"/c/{cid}/votes").data
    assert b'value="-1" class="vote-disagree" aria-pressed="true"' in history
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 1


def test_bad_form_vote_is_a_400_page_and_changes_nothing(client, conversation):
    cid = conversation["id"]
    for data in ({"statement_id": "1", "vote": "2"}, {"statement_id": "x", "vote": "1"}, {}):
        response = client.post(f"/c/{cid}/vote", data=data)
        assert response.status_code == 400
        assert b"<!doctype html>" in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 0


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
    assert b'id="vote-form"' not in page  # no statement with buttons that do nothing
    assert b"See the results: where people agree and where they divide" in page
    assert b'id="statement-form"' not in page
    assert client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"}).status_code == 409
    assert client.post(f"/c/{cid}/statements", data={"text": "New one"}).status_code == 302
    assert client.get(f"{API}/{cid}").json["counts"] == {
        "participants": 0,  # refused, they took no part
        "votes": 0,
        "statements": 3,
    }


def test_xid_consultation_needs_the_personal_link(app, client, facilitator):
    conversation = create_conversation(client, facilitator, require_xid=True)
    cid = conversation["id"]
    assert b"only through the personal link" in client.get(f"/c/{cid}").data
    assert client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"}).status_code == 403
    statement_id = shown_statement_id(client.get(personal_link(app, cid, "person-9")).data)
    assert (
        client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "1"}).status_code
        == 302
    )
    # The same xid through the API is the same participant, who has voted once already.
    headers = join(client, cid, xid="person-9", xid_signature=xid_signature(app, cid, "person-9"))
    assert client.get(f"{API}/{cid}/next", headers=headers).json["remaining"] == 2


def test_api_participant_and_signed_page_are_the_same_person(app, client, conversation):
    cid = conversation["id"]
    headers = join(client, cid, xid="person-9", xid_signature=xid_signature(app, cid, "person-9"))
    shown = client.get(f"{API}/{cid}/next", headers=headers).json
    vote = {"statement_id": shown["id"], "vote": 1}
    client.post(f"{API}/{cid}/votes", json=vote, headers=headers)
    page = client.get(personal_link(app, cid, "person-9")).data
    assert b"2 statements left" in page
    client.post(f"/c/{cid}/vote", data={"statement_id": shown_statement_id(page), "vote": "1"})
    counts = client.get(f"{API}/{cid}").json["counts"]
    assert counts == {"participants": 1, "votes": 2, "statements": 3}
    # The page found the participant without a new token: the API client is still logged in.
    assert client.get(f"{API}/{cid}/next", headers=headers).json["remaining"] == 1


def test_an_invented_xid_link_takes_no_vote_where_one_is_required(client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    for link in (f"/c/{cid}?xid=person-9", f"/c/{cid}?xid=person-9&sig=AAAAAAAAAAAAAAAAAAAAAA"):
        page = client.get(link).data
        assert b"This link was not recognised." in page
        assert b"only through the personal link" in page
        assert b"ask the organisers of this consultation for one" in page
        assert b'id="vote-form"' not in page  # no card with buttons that cannot be pressed
        assert b'id="statement-form"' not in page
        vote = client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"})
        assert vote.status_code == 403
    assert client.get(f"{API}/{cid}").json["counts"]["participants"] == 0


def test_a_wrong_link_on_an_open_consultation_takes_part_anonymously(app, client, conversation):
    cid, alice = conversation["id"], "alice@example.org"
    alice_headers = join(client, cid, xid=alice, xid_signature=xid_signature(app, cid, alice))
    page = client.get(f"/c/{cid}?xid={alice}&sig=forged")
    assert page.status_code == 200
    assert b"This personal link was not recognised" in page.data
    assert b"<fieldset disabled>" not in page.data
    vote = {"statement_id": shown_statement_id(page.data), "vote": "1"}
    assert client.post(f"/c/{cid}/vote", data=vote).status_code == 302
    # The vote went to a new anonymous participant, not to Alice.
    assert client.get(f"{API}/{cid}").json["counts"]["participants"] == 2
    assert client.get(f"{API}/{cid}/next", headers=alice_headers).json["remaining"] == 3


def test_the_session_cookie_holds_no_xid(app, client, conversation):
    cid, xid = conversation["id"], "jane.doe@example.org"
    statement_id = shown_statement_id(client.get(personal_link(app, cid, xid)).data)
    client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "1"})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    stored = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert "xid_hashes" in stored
    assert xid not in json.dumps(stored)
    assert "jane" not in json.dumps(stored)


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


def test_page_never_quotes_a_hidden_statement_and_says_when_it_is_your_own(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    hidden = "The staff are lazy idiots and should all be sacked today."
    client.post(f"{API}/{cid}/statements", json={"text": hidden}, headers=join(client, cid))
    response = client.post(f"/c/{cid}/statements", data={"text": hidden}, follow_redirects=True)
    assert b"shown to others once a facilitator has read it" in response.data
    again = client.post(f"/c/{cid}/statements", data={"text": hidden}, follow_redirects=True)
    assert b"You have already sent this statement; it waits for a facilitator." in again.data
    assert b"already here" not in again.data


# -- messages for people --------------------------------------------------------------------


@pytest.fixture
def csrf_client(app, database_url):
    return make_app(database_url, csrf=True).test_client()


def test_an_empty_statement_is_refused_in_plain_words(client, conversation):
    response = client.post(
        f"/c/{conversation['id']}/statements", data={"text": "   "}, follow_redirects=True
    )
    assert b"Write your statement in the box first." in response.data
    assert b"must not be empty" not in response.data


def test_an_expired_session_keeps_the_statement_and_says_what_to_do(csrf_client, conversation):
    cid = conversation["id"]
    response = csrf_client.post(f"/c/{cid}/statements", data={"text": "Trams at night."})
    assert response.status_code == 400
    page = response.data.decode()
    assert "Your session had expired, so your statement was not sent." in page
    assert "press “Add statement” again" in page
    assert ">Trams at night.</textarea>" in page
    assert "CSRF" not in page
    assert csrf_client.get(f"{API}/{cid}").json["counts"]["statements"] == 3

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # the new session's
    again = csrf_client.post(
        f"/c/{cid}/statements", data={"text": "Trams at night.", "csrf_token": token}
    )
    assert again.status_code == 302
    assert csrf_client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


def test_an_expired_session_on_a_vote_says_to_vote_again(csrf_client, conversation):
    cid = conversation["id"]
    response = csrf_client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"})
    assert response.status_code == 400
    assert b"Your session had expired, so your vote was not recorded. Please vote again." in (
        response.data
    )
    assert csrf_client.get(f"{API}/{cid}").json["counts"]["votes"] == 0


def test_an_expired_session_gives_the_script_a_new_token(csrf_client, conversation):
    cid = conversation["id"]
    as_script = {"Accept": "application/json"}
    response = csrf_client.post(
        f"/c/{cid}/statements", data={"text": "Ferries."}, headers=as_script
    )
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "session_expired"
    assert "CSRF" not in error["message"]
    again = csrf_client.post(
        f"/c/{cid}/statements",
        data={"text": "Ferries.", "csrf_token": error["csrf_token"]},
        headers=as_script,
    )
    assert again.status_code == 201


def test_an_expired_session_elsewhere_is_explained_too(csrf_client, conversation):
    response = csrf_client.post(f"/c/{conversation['id']}/my-data/erase", data={"confirm": "yes"})
    assert response.status_code == 400
    assert b"Your session had expired, so nothing was changed." in response.data
    assert b"CSRF" not in response.data


# -- "Your votes" -----------------------------------------------------------------------------


def vote_on_many(app, cid: str, count: int) -> int:
    """A participant of this test client who has voted on `count` new statements; its id."""
    with app.app_context():
        conversation = db.session.get(Conversation, cid)
        added = statements_service.add_seed_statements(
            conversation, [f"Statement number {n} about trams" for n in range(count)]
        )
        db.session.commit()
        participant, _token, _ = participants.join(conversation)
        for statement in added:
            votes.cast_vote(conversation, participant, statement.id, 1)
        return participant.id


def test_your_votes_come_fifty_to_a_page(app, client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=[])["id"]
    participant_id = vote_on_many(app, cid, 120)
    with client.session_transaction() as session:
        session["participants"] = {cid: participant_id}
    first = client.get(f"/c/{cid}/votes").data.decode()
    assert first.count("<legend>") == 50
    assert "Page 1 of 3" in first
    assert "120 votes, newest first" in first
    assert "Statement number 119 about trams" in first  # newest first
    last = client.get(f"/c/{cid}/votes?page=3").data.decode()
    assert last.count("<legend>") == 20
    assert "Statement number 0 about trams" in last
    assert client.get(f"/c/{cid}/votes?page=x").status_code == 400


def test_a_vote_changed_keeps_its_place_in_the_list(app, client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=[])["id"]
    participant_id = vote_on_many(app, cid, 60)
    with client.session_transaction() as session:
        session["participants"] = {cid: participant_id}
    page = client.get(f"/c/{cid}/votes?page=2").data.decode()
    statement_id = int(re.search(r'<li id="vote-(\d+)">', page).group(1))
    changed = client.post(
        f"/c/{cid}/vote",
        data={"statement_id": statement_id, "vote": "-1", "return_to": "votes", "page": "2"},
    )
    assert changed.headers["Location"].endswith(f"/c/{cid}/votes?page=2#vote-{statement_id}")
    again = client.get(f"/c/{cid}/votes?page=2").data.decode()
    assert re.search(r'<li id="vote-(\d+)">', again).group(1) == str(statement_id)  # same place
    item = again.split(f'<li id="vote-{statement_id}">')[1].split("</li>")[0]
    assert "Your vote is changed." in item  # beside the statement, not at the top
    assert 'value="-1" class="vote-disagree" aria-pressed="true"' in item


def test_a_bad_page_with_a_vote_changes_nothing(client, conversation):
    cid = conversation["id"]
    statement_id = shown_statement_id(client.get(f"/c/{cid}").data)
    response = client.post(
        f"/c/{cid}/vote",
        data={"statement_id": statement_id, "vote": "1", "return_to": "votes", "page": "0"},
    )
    assert response.status_code == 400
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 0


def test_a_closed_consultation_without_public_results_says_they_are_coming(client, facilitator):
    cid = create_conversation(client, facilitator, results_public=False)["id"]
    client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    page = client.get(f"/c/{cid}").data
    assert b"The organisers will share the results when they are ready." in page
    assert b'id="vote-form"' not in page


def test_the_count_of_your_votes_leaves_out_statements_waiting_for_moderation(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Ferries too."})  # mine, agreed, waiting
    assert b'<span id="voted-count">0</span>' in client.get(f"/c/{cid}").data
    assert b"You have not voted yet." in client.get(f"/c/{cid}/votes").data
