"""The outcome's guards: who may write it, and bad input refused with a clear 4xx that
changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import Facilitator, create_conversation, join, make_app, make_facilitator
from flask import Flask
from flask.testing import FlaskClient
from helpers import log_in
from outcome_steps import (
    outcome_url,
    publish,
    respond,
    statement_ids,
    with_groups,
)

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
        (f"/responses/{rid}/delete", {"confirm": "yes"}),
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
