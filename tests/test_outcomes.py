"""How the input was used: facilitators publish an outcome, participants see what became of
the statements they voted on; drafts stay private and bad input changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import Facilitator, create_conversation, join, make_app, make_facilitator
from flask import Flask
from flask.testing import FlaskClient
from helpers import log_in

from consult.services.analyses import store_analysis
from consult.services.consultations import get_conversation
from consult.services.outcomes import outcome_for_export

API = "/api/v1/conversations"


def statement_ids(client: FlaskClient, cid: str) -> dict[str, int]:
    listed = client.get(f"{API}/{cid}/statements").json["statements"]
    return {s["text"]: s["id"] for s in listed}


def outcome_url(cid: str, rest: str = "") -> str:
    return f"{API}/{cid}/outcome{rest}"


def with_groups(app: Flask, cid: str, group_ids: list[int]) -> None:
    """A stored analysis that shows these groups (what the runner would have stored)."""
    groups = [{"id": g, "members": 10, "centre": [0.0, 0.0]} for g in group_ids]
    with app.app_context():
        store_analysis(
            get_conversation(cid),
            {"groups": groups, "routing_priority": {}},
            summary={"ready": True, "groups": groups},
        )


def vote_by_form(client: FlaskClient, cid: str, statement_id: int, vote: str = "1") -> None:
    response = client.post(f"/c/{cid}/vote", data={"statement_id": str(statement_id), "vote": vote})
    assert response.status_code == 302


def publish(client: FlaskClient, who: Facilitator, cid: str, text: str = "Thank you.") -> Any:
    body = {"text": text, "published": True}
    response = client.put(outcome_url(cid), json=body, headers=who.headers)
    assert response.status_code == 200, response.json
    return response.json


def respond(client: FlaskClient, who: Facilitator, cid: str, **body: Any) -> dict[str, Any]:
    response = client.post(outcome_url(cid, "/responses"), json=body, headers=who.headers)
    assert response.status_code == 201, response.json
    return response.json


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

    assert client.post(f"{base}/delete").status_code == 302
    assert client.get(outcome_url(cid)).json["responses"] == []
    assert b"Too costly" not in client.get(f"/c/{cid}").data
    assert b"Too costly" not in client.get(f"/facilitate/c/{cid}/outcome").data
    assert client.post(f"{base}/delete").status_code == 404


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


# -- who may write ------------------------------------------------------------------------


def test_another_facilitator_and_anonymous_visitors_cannot_write(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    made = respond(client, facilitator, cid, statement_id=buses, status="adopted", text="Yes.")
    other = make_facilitator(app, "other@example.org")
    rid = made["id"]
    writes = [
        ("put", "", {"text": "Mine.", "published": True}),
        ("post", "/responses", {"group_id": 0, "status": "adopted", "text": "x"}),
        ("patch", f"/responses/{rid}", {"text": "Changed."}),
        ("delete", f"/responses/{rid}", None),
    ]
    for method, rest, body in writes:
        anonymous = client.open(outcome_url(cid, rest), method=method.upper(), json=body)
        assert anonymous.status_code == 401, (method, rest)
        foreign = client.open(
            outcome_url(cid, rest), method=method.upper(), json=body, headers=other.headers
        )
        assert foreign.status_code == 404, (method, rest)
    # Neither saw the draft, and nothing changed.
    assert client.get(outcome_url(cid), headers=other.headers).status_code == 404
    assert client.get(outcome_url(cid), headers=facilitator.headers).json["responses"] == [made]

    forms = [
        ("", {"text": "Mine.", "published": "on"}),
        ("/responses", {"target": f"statement-{buses}", "status": "adopted", "text": "x"}),
        (f"/responses/{rid}", {"status": "adopted", "text": "Changed."}),
        (f"/responses/{rid}/delete", {}),
    ]
    visitor = app.test_client()
    log_in(client, other)
    for rest, data in forms:
        url = f"/facilitate/c/{cid}/outcome{rest}"
        refused = visitor.post(url, data=data)
        assert refused.status_code == 302
        assert "/facilitate/login" in refused.headers["Location"]
        assert client.post(url, data=data).status_code == 404
    assert client.get(f"/facilitate/c/{cid}/outcome").status_code == 404
    assert client.get(outcome_url(cid), headers=facilitator.headers).json["responses"] == [made]


def test_a_shared_facilitator_may_write(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    colleague = make_facilitator(app, "colleague@example.org")
    log_in(client, facilitator)
    client.post(f"/facilitate/c/{cid}/share", data={"email": colleague.email})
    publish(client, colleague, cid, "From a colleague.")
    assert client.get(outcome_url(cid)).json["text"] == "From a colleague."


def test_outcome_forms_need_the_csrf_token(
    app: Flask, database_url: str, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    protected = make_app(database_url, csrf=True).test_client()
    login_page = protected.get("/facilitate/login").data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', login_page).group(1).decode()
    protected.post(
        "/facilitate/login",
        data={"email": facilitator.email, "password": facilitator.password, "csrf_token": token},
    )
    data = {"text": "Published without a token?", "published": "on"}
    refused = protected.post(f"/facilitate/c/{cid}/outcome", data=data)
    assert refused.status_code == 400
    assert b"This form has expired" in refused.data
    assert protected.get(outcome_url(cid)).status_code == 404
    page = protected.get(f"/facilitate/c/{cid}/outcome").data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    accepted = protected.post(f"/facilitate/c/{cid}/outcome", data={**data, "csrf_token": token})
    assert accepted.status_code == 302
    assert protected.get(outcome_url(cid)).json["text"] == "Published without a token?"


# -- bad input: a clear 4xx and nothing changed ---------------------------------------------


def test_bad_outcome_bodies_are_refused_and_change_nothing(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    before = publish(client, facilitator, cid, "As published.")
    bad_bodies = [
        None,
        [],
        "text",
        {},
        {"text": "Only text."},
        {"published": True},
        {"text": None, "published": True},
        {"text": "x" * 10_001, "published": True},
        {"text": "ok", "published": "yes"},
        {"text": "", "published": True},
        {"text": "nul \x00 inside", "published": True},
        {"text": "ok", "published": True, "extra": 1},
    ]
    for body in bad_bodies:
        response = client.put(outcome_url(cid), json=body, headers=facilitator.headers)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "invalid_input"
    junk = client.put(outcome_url(cid), data=b"{not json", headers=facilitator.headers)
    assert junk.status_code == 400
    huge = client.put(outcome_url(cid), data=b"x" * 2_000_000, headers=facilitator.headers)
    assert huge.status_code == 413
    assert client.get(outcome_url(cid)).json == before


def test_bad_responses_are_refused_and_change_nothing(
    app: Flask, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    elsewhere = create_conversation(client, facilitator, seed_statements=["Elsewhere."])
    foreign = statement_ids(client, elsewhere["id"])["Elsewhere."]
    with_groups(app, cid, [0, 1])
    good = {"statement_id": buses, "status": "adopted", "text": "Yes."}
    bad_bodies = [
        ({**good, "statement_id": 999_999}, "statement_id"),
        ({**good, "statement_id": foreign}, "statement_id"),
        ({**good, "statement_id": "1"}, "statement_id"),
        ({**good, "statement_id": True}, "statement_id"),
        ({**good, "statement_id": 2**70}, "statement_id"),
        ({**good, "statement_id": -1}, "statement_id"),
        ({"group_id": 5, "status": "adopted", "text": "x"}, "group_id"),
        ({"group_id": -1, "status": "adopted", "text": "x"}, "group_id"),
        ({"group_id": 0.5, "status": "adopted", "text": "x"}, "group_id"),
        ({**good, "group_id": 0}, None),
        ({"status": "adopted", "text": "x"}, None),
        ({**good, "status": "done"}, "status"),
        ({**good, "status": None}, "status"),
        ({**good, "status": ["adopted"]}, "status"),
        ({**good, "text": ""}, "text"),
        ({**good, "text": "x" * 2001}, "text"),
        ({**good, "text": 12}, "text"),
        ({**good, "created_at": "2020-01-01"}, None),
    ]
    for body, field in bad_bodies:
        response = client.post(
            outcome_url(cid, "/responses"), json=body, headers=facilitator.headers
        )
        assert response.status_code == 400, body
        assert response.json["error"].get("field") == field, body
    assert client.get(outcome_url(cid), headers=facilitator.headers).json["responses"] == []

    made = respond(client, facilitator, cid, **good)
    twice = client.post(outcome_url(cid, "/responses"), json=good, headers=facilitator.headers)
    assert twice.status_code == 409
    patch = outcome_url(cid, f"/responses/{made['id']}")
    for body in [
        {"status": "maybe"},
        {"text": ""},
        {"text": None},
        {"statement_id": buses},
        {"group_id": 0},
        [],
    ]:
        response = client.patch(patch, json=body, headers=facilitator.headers)
        assert response.status_code == 400, body
    for rid in ["0", "999999", "abc", "1e3", "99999999999999999999"]:
        path = outcome_url(cid, f"/responses/{rid}")
        assert (
            client.patch(path, json={"text": "x"}, headers=facilitator.headers).status_code == 404
        )
        assert client.delete(path, headers=facilitator.headers).status_code == 404
    other_response = respond(
        client, facilitator, elsewhere["id"], statement_id=foreign, status="adopted", text="No."
    )
    across = outcome_url(cid, f"/responses/{other_response['id']}")
    assert client.delete(across, headers=facilitator.headers).status_code == 404
    assert client.get(outcome_url(cid), headers=facilitator.headers).json["responses"] == [made]
    assert client.get(outcome_url(elsewhere["id"]), headers=facilitator.headers).json[
        "responses"
    ] == [other_response]


@pytest.mark.parametrize(
    ("target", "status", "text"),
    [
        ("statement-abc", "adopted", "x"),
        ("statement-999999", "adopted", "x"),
        ("group-0", "adopted", "x"),
        ("nothing-1", "adopted", "x"),
        ("statement-{buses}", "sideways", "x"),
        ("statement-{buses}", "adopted", ""),
        ("statement-{buses}", "adopted", "x" * 2001),
    ],
)
def test_bad_response_forms_are_a_400_page_and_change_nothing(
    client: FlaskClient,
    facilitator: Facilitator,
    conversation: dict[str, Any],
    target: str,
    status: str,
    text: str,
) -> None:
    cid = conversation["id"]
    buses = statement_ids(client, cid)["Buses should run every ten minutes."]
    log_in(client, facilitator)
    data = {"target": target.format(buses=buses), "status": status, "text": text}
    response = client.post(f"/facilitate/c/{cid}/outcome/responses", data=data)
    assert response.status_code == 400
    assert b'role="alert"' in response.data
    assert client.get(outcome_url(cid), headers=facilitator.headers).json["responses"] == []


def test_unknown_consultation_outcome_is_a_404(
    client: FlaskClient, facilitator: Facilitator
) -> None:
    assert client.get(outcome_url("nope")).status_code == 404
    assert client.get(outcome_url("nope"), headers=facilitator.headers).status_code == 404
    body = {"text": "x", "published": False}
    assert (
        client.put(outcome_url("nope"), json=body, headers=facilitator.headers).status_code == 404
    )


def test_the_api_participant_token_is_no_facilitator_token(
    client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    participant = join(client, cid)
    body = {"text": "Taken over.", "published": True}
    assert client.put(outcome_url(cid), json=body, headers=participant).status_code == 401
    assert client.get(outcome_url(cid), headers=participant).status_code == 404
