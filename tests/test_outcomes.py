"""How the input was used: facilitators publish an outcome, participants see what became of
the statements they voted on, and what the public never sees (`test_outcome_guards` has
who may write and bad input)."""

from __future__ import annotations

import re
from typing import Any

from conftest import Facilitator
from flask import Flask
from flask.testing import FlaskClient
from helpers import log_in
from outcome_steps import (
    API,
    outcome_url,
    publish,
    respond,
    statement_ids,
    vote_by_form,
    with_groups,
)

from consult.services.consultations import get_conversation
from consult.services.outcomes import outcome_for_export

# -- the flow through the pages -----------------------------------------------------------


def test_facilitator_publishes_by_form_and_a_voter_sees_it_on_both_pages(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    ids = statement_ids(client, cid)
    buses = ids["Buses should run every ten minutes."]
    voter = app.test_client()
    vote_by_form(voter, cid, buses)

    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}/outcome")
    assert page.status_code == 200
    assert b"Draft." in page.data
    added = client.post(
        f"/facilitate/c/{cid}/outcome/responses",
        data={
            "target": f"statement-{buses}",
            "status": "adopted",
            "text": "In the plan, article 4.",
        },
    )
    assert added.status_code == 302
    assert added.headers["Location"].endswith(f"/facilitate/c/{cid}/outcome#responses")
    # A draft: nobody else sees anything yet.
    assert b"article 4" not in voter.get(f"/c/{cid}").data
    assert b"article 4" not in voter.get(f"/c/{cid}/votes").data

    saved = client.post(
        f"/facilitate/c/{cid}/outcome",
        data={"text": "The council adopted the plan.", "published": "on"},
    )
    assert saved.status_code == 302
    assert b"Published" in client.get(f"/facilitate/c/{cid}/outcome").data

    consultation_page = voter.get(f"/c/{cid}").data.decode()
    assert "How the input was used" in consultation_page
    assert "The council adopted the plan." in consultation_page
    assert "In the plan, article 4." in consultation_page
    votes_page = voter.get(f"/c/{cid}/votes").data.decode()
    beside = votes_page[votes_page.index("Buses should run every ten minutes.") :]
    assert re.search(r"What became of it.*Adopted.*In the plan, article 4\.", beside, re.S)


def test_addresses_in_the_outcome_are_links_for_readers(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    publish(client, facilitator, cid, "Decided on 3 May: https://example.org/minutes/3.")
    respond(
        client,
        facilitator,
        cid,
        statement_id=buses,
        status="adopted",
        text="Timetable <b>at</b> http://example.org/timetable",
    )
    page = client.get(f"/c/{cid}").text
    link = 'rel="nofollow noopener noreferrer" dir="ltr">'
    assert (
        f'<a href="https://example.org/minutes/3" {link}https://example.org/minutes/3</a>.' in page
    )
    assert f'Timetable &lt;b&gt;at&lt;/b&gt; <a href="http://example.org/timetable" {link}' in page
    # The API and the open data keep the text as written.
    assert client.get(outcome_url(cid)).json["text"].endswith("https://example.org/minutes/3.")


def test_votes_page_shows_responses_only_beside_the_statements_voted_on(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    ids = statement_ids(client, cid)
    publish(client, facilitator, cid)
    for text, answer in [
        ("Buses should run every ten minutes.", "More buses from May."),
        ("Parking in the centre is too cheap.", "Prices stay."),
    ]:
        respond(client, facilitator, cid, statement_id=ids[text], status="adopted", text=answer)
    voter = app.test_client()
    vote_by_form(voter, cid, ids["Buses should run every ten minutes."], vote="-1")
    votes_page = voter.get(f"/c/{cid}/votes").data
    assert b"More buses from May." in votes_page
    assert b"Prices stay." not in votes_page  # not voted on: on the consultation page only
    assert b"Prices stay." in voter.get(f"/c/{cid}").data


def test_withdrawn_outcome_is_hidden_again(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    publish(client, facilitator, cid, "Adopted as a whole.")
    assert client.get(outcome_url(cid)).status_code == 200
    body = {"text": "Adopted as a whole.", "published": False}
    assert client.put(outcome_url(cid), json=body, headers=facilitator.headers).status_code == 200
    assert client.get(outcome_url(cid)).status_code == 404
    assert b"Adopted as a whole." not in client.get(f"/c/{cid}").data


def test_facilitator_edits_and_deletes_a_response_by_form(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    publish(client, facilitator, cid)
    made = respond(
        client, facilitator, cid, statement_id=buses, status="under_consideration", text="Soon."
    )
    log_in(client, facilitator)
    base = f"/facilitate/c/{cid}/outcome/responses/{made['id']}"
    edited = client.post(base, data={"status": "not_taken_up", "text": "Too costly, see p. 12."})
    assert edited.status_code == 302
    [now] = client.get(outcome_url(cid)).json["responses"]
    assert (now["status"], now["text"]) == ("not_taken_up", "Too costly, see p. 12.")
    assert now["created_at"] == made["created_at"]
    assert now["updated_at"] > made["updated_at"]
    page = client.get(f"/c/{cid}").data
    assert b"Not taken up" in page
    assert b"Soon." not in page

    # Without the box ticked: refused beside the form (the page opens at it), the response
    # still there.
    page = client.get(f"/facilitate/c/{cid}/outcome").text
    assert f'action="{base}/delete#response-{made["id"]}"' in page
    unconfirmed = client.post(f"{base}/delete")
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm that this response is to be deleted." in unconfirmed.text
    assert f'id="response-{made["id"]}-delete-error" role="alert"' in unconfirmed.text
    assert len(client.get(outcome_url(cid)).json["responses"]) == 1
    assert client.post(f"{base}/delete", data={"confirm": "yes"}).status_code == 302
    assert client.get(outcome_url(cid)).json["responses"] == []
    assert b"Too costly" not in client.get(f"/c/{cid}").data
    assert b"Too costly" not in client.get(f"/facilitate/c/{cid}/outcome").data
    assert client.post(f"{base}/delete", data={"confirm": "yes"}).status_code == 404


def test_every_change_to_a_response_dates_the_published_outcome_as_updated(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    published = publish(client, facilitator, cid)
    assert published["updated_at"] == published["published_at"]
    assert b", updated" not in client.get(f"/c/{cid}").data

    def updated_at() -> str:
        return client.get(outcome_url(cid)).json["updated_at"]

    made = respond(client, facilitator, cid, statement_id=buses, status="adopted", text="Yes.")
    after_adding = updated_at()
    assert after_adding == made["created_at"] > published["published_at"]
    log_in(client, facilitator)
    base = f"/facilitate/c/{cid}/outcome/responses/{made['id']}"
    client.post(base, data={"status": "not_taken_up", "text": "No after all."})
    after_editing = updated_at()
    assert after_editing > after_adding
    client.post(f"{base}/delete", data={"confirm": "yes"})
    after_deleting = updated_at()
    assert after_deleting > after_editing
    # Readers are told the published outcome changed, though the response left no text;
    # the same day as it was published, by the time of the change.
    page = client.get(f"/c/{cid}").text
    if after_deleting[:10] == published["published_at"][:10]:  # not across midnight UTC
        time = after_deleting[11:16]
        assert re.search(rf', updated the same day at <time datetime="[^"]+">{time}</time>', page)
    else:
        assert ", updated <time" in page


def test_a_line_break_typed_in_a_form_counts_as_one_character(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    """A browser sends each line break as CRLF: 10,000 characters typed with ten line breaks
    were refused as 10,010."""
    cid = conversation["id"]
    log_in(client, facilitator)
    typed = "\n".join(["x" * 990] * 10) + "y" * 9  # 10,000 characters as typed
    sent = typed.replace("\n", "\r\n")
    saved = client.post(f"/facilitate/c/{cid}/outcome", data={"text": sent, "published": "on"})
    assert saved.status_code == 302
    assert client.get(outcome_url(cid)).json["text"] == typed  # stored as typed, LF


def test_refused_form_shows_the_reason_beside_it_and_keeps_what_was_typed(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    log_in(client, facilitator)
    refused = client.post(
        f"/facilitate/c/{cid}/outcome/responses",
        data={"target": "", "status": "adopted", "text": "Kept words"},
    )
    assert refused.status_code == 400
    page = refused.data.decode()
    assert re.search(r'id="add-error" role="alert">Choose a statement or a group\.', page)
    assert "Kept words" in page
    too_long = client.post(f"/facilitate/c/{cid}/outcome", data={"text": "x" * 10_001})
    assert too_long.status_code == 400
    assert 'id="outcome-error" role="alert"' in too_long.data.decode()
    empty = client.post(f"/facilitate/c/{cid}/outcome", data={"text": " ", "published": "on"})
    assert b"Write the overall statement before publishing." in empty.data
    assert client.get(outcome_url(cid), headers=facilitator.headers).json["published"] is False


def test_the_manage_page_links_to_the_outcome_page(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{conversation['id']}").data.decode()
    assert f'href="/facilitate/c/{conversation["id"]}/outcome"' in page


# -- responses to groups, and what the public never sees ------------------------------------


def test_a_group_response_keeps_its_label_and_unknown_groups_are_refused(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    auth = facilitator.headers
    body = {"group_id": 1, "status": "partly_adopted", "text": "Their worry is heard."}
    before = client.post(outcome_url(cid, "/responses"), json=body, headers=auth)
    assert before.status_code == 400  # no analysis yet, so no groups
    assert before.json["error"]["field"] == "group_id"
    with_groups(app, cid, [0, 1])
    made = respond(client, facilitator, cid, **body)
    assert (made["group_id"], made["group_label"], made["statement_id"]) == (1, "Group B", None)
    with_groups(app, cid, [0])  # group 1 is gone from the latest analysis: the label stays
    publish(client, facilitator, cid)
    assert b"Group B" in client.get(f"/c/{cid}").data
    client.get("/language/fr")  # named in the page's language; the export keeps "Group B"
    assert '<span class="outcome-group">Groupe B</span>' in client.get(f"/c/{cid}").text
    client.get("/language/en")
    respond(client, facilitator, cid, **{**body, "group_id": 0})
    twice = {**body, "group_id": 0}
    assert client.post(outcome_url(cid, "/responses"), json=twice, headers=auth).status_code == 409
    for gone in (1, 7):  # no longer, or never, a group of the latest analysis
        again = {**body, "group_id": gone}
        answer = client.post(outcome_url(cid, "/responses"), json=again, headers=auth)
        assert answer.status_code == 400


def test_a_response_to_a_rejected_statement_is_never_public(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    parking = statement_ids(client, cid)["Parking in the centre is too cheap."]
    voter = app.test_client()
    vote_by_form(voter, cid, parking)
    respond(client, facilitator, cid, statement_id=parking, status="adopted", text="Secret plan.")
    publish(client, facilitator, cid)
    reject = {"statement_ids": [parking], "action": "reject"}
    assert (
        client.post(f"{API}/{cid}/moderation", json=reject, headers=facilitator.headers).status_code
        == 200
    )

    public = client.get(outcome_url(cid)).json
    assert public["responses"] == []
    assert b"Secret plan." not in voter.get(f"/c/{cid}").data
    assert b"Secret plan." not in voter.get(f"/c/{cid}/votes").data
    with app.app_context():
        assert outcome_for_export(get_conversation(cid))["responses"] == []
    [hidden] = client.get(outcome_url(cid), headers=facilitator.headers).json["responses"]
    assert hidden["public"] is False
    log_in(client, facilitator)
    assert b"Not shown to participants" in client.get(f"/facilitate/c/{cid}/outcome").data
    refused = client.post(
        outcome_url(cid, "/responses"),
        json={"statement_id": parking, "status": "adopted", "text": "Again."},
        headers=facilitator.headers,
    )
    assert refused.status_code in (400, 409)


def test_outcome_for_export_is_the_published_outcome_without_personal_data(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    respond(client, facilitator, cid, statement_id=buses, status="adopted", text="Yes.")
    with app.app_context():
        assert outcome_for_export(get_conversation(cid)) is None  # a draft is not exported
    publish(client, facilitator, cid, "Done.")
    with app.app_context():
        exported = outcome_for_export(get_conversation(cid))
    assert exported["text"] == "Done."
    assert exported["published"] is True
    [response] = exported["responses"]
    assert response["statement_text"] == "Buses should run every ten minutes."
    assert set(response) == {
        "id", "statement_id", "statement_text", "group_id", "group_label", "status", "text",
        "created_at", "updated_at", "public",
    }  # fmt: skip
    assert facilitator.email not in str(exported)
