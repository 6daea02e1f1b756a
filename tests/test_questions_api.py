"""The API for the questions about who took part: the facilitator's CRUD and a participant's
own answers, each answer checked against the OpenAPI description."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import create_conversation, join, make_facilitator
from flask.testing import FlaskClient
from test_openapi import Api, Spec
from test_questions import SEEDS

QUESTIONS = "/conversations/{conversation_id}/questions"
ONE = QUESTIONS + "/{question_id}"
MINE = "/conversations/{conversation_id}/me/answers"


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client, Spec(client.get("/api/v1/openapi.json").json))


@pytest.fixture
def cid(client: FlaskClient, facilitator: Any) -> str:
    return create_conversation(client, facilitator, seed_statements=SEEDS)["id"]


def add(api: Api, cid: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = api.call("post", QUESTIONS, cid, body=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def vote(client: FlaskClient, cid: str, me: dict[str, str], times: int) -> None:
    for _ in range(times):
        shown = client.get(f"/api/v1/conversations/{cid}/next", headers=me).json
        body = {"statement_id": shown["id"], "vote": 1}
        assert (
            client.post(f"/api/v1/conversations/{cid}/votes", json=body, headers=me).status_code
            == 201
        )


def test_facilitator_creates_lists_changes_reorders_and_deletes(api, cid, facilitator):
    who = facilitator.headers
    age = add(api, cid, who, preset="age")
    assert age["position"] == 1
    assert age["answered"] is False
    own = add(api, cid, who, text="How do you travel?", choices=["On foot", "By bike", "By bus"])
    ids = {"question_id": str(own["id"])}
    changed = api.call(
        "patch",
        ONE,
        cid,
        body={"text": "How do you get around?", "position": 1},
        headers=who,
        path_ids=ids,
    )
    assert changed.status_code == 200
    assert (changed.json["text"], changed.json["position"]) == ("How do you get around?", 1)
    listed = api.call("get", QUESTIONS, cid, headers=who).json
    assert [q["id"] for q in listed["questions"]] == [own["id"], age["id"]]
    assert listed["questions_after_votes"] == 3
    assert api.call("delete", ONE, cid, headers=who, path_ids=ids).status_code == 204
    assert [q["id"] for q in api.call("get", QUESTIONS, cid, headers=who).json["questions"]] == [
        age["id"]
    ]


def test_bad_question_bodies_are_400_and_store_nothing(api, cid, facilitator):
    who = facilitator.headers
    for body in (
        {"text": "Only one", "choices": ["Yes"]},
        {"text": "Not a list", "choices": "Yes, No"},
        {"text": "Numbers", "choices": [1, 2]},
        {"text": 5, "choices": ["Yes", "No"]},
        {"preset": "shoe size"},
        {"preset": "age", "text": "Both"},
        {"choices": ["Yes", "No"]},
    ):
        assert api.call("post", QUESTIONS, cid, body=body, headers=who).status_code == 400, body
    assert api.call("get", QUESTIONS, cid, headers=who).json["questions"] == []
    age = add(api, cid, who, preset="age")
    ids = {"question_id": str(age["id"])}
    for body in ({"position": 2}, {"position": "1"}, {"text": "Fine", "position": 0}):
        assert api.call("patch", ONE, cid, body=body, headers=who, path_ids=ids).status_code == 400
    assert api.call("get", QUESTIONS, cid, headers=who).json["questions"] == [age]  # text kept
    for missing in ("999999", "x"):
        gone = api.call("delete", ONE, cid, headers=who, path_ids={"question_id": missing})
        assert gone.status_code == 404


def test_questions_are_only_the_facilitators_business(api, app, cid, facilitator, client):
    age = add(api, cid, facilitator.headers, preset="age")
    other = make_facilitator(app, "other@example.org").headers
    assert api.call("get", QUESTIONS, cid, headers=other).status_code == 404
    ids = {"question_id": str(age["id"])}
    assert api.call("delete", ONE, cid, headers=other, path_ids=ids).status_code == 404
    assert api.call("get", QUESTIONS, cid).status_code == 401


def test_answered_choices_are_refused_and_the_text_may_change(api, client, cid, facilitator):
    who = facilitator.headers
    age = add(api, cid, who, preset="age")
    me = join(client, cid)
    vote(client, cid, me, 3)
    api.call("put", MINE, cid, body={"answers": {str(age["id"]): 1}}, headers=me)
    ids = {"question_id": str(age["id"])}
    refused = api.call(
        "patch",
        ONE,
        cid,
        body={"choices": ["Young", "Old"], "text": "Age?"},
        headers=who,
        path_ids=ids,
    )
    assert refused.status_code == 409
    listed = api.call("get", QUESTIONS, cid, headers=who).json["questions"][0]
    assert listed["text"] == age["text"]
    assert listed["answered"] is True
    same = api.call(
        "patch",
        ONE,
        cid,
        body={"choices": age["choices"], "text": "Age?"},
        headers=who,
        path_ids=ids,
    )
    assert same.status_code == 200  # the same choices are no change


def test_a_participant_answers_after_the_third_vote_changes_and_erases(
    api, client, cid, facilitator
):
    age = add(api, cid, facilitator.headers, preset="age")
    area = add(api, cid, facilitator.headers, preset="area")
    me = join(client, cid)
    mine = api.call("get", MINE, cid, headers=me).json
    assert (mine["due"], mine["done"], mine["answers"]) == (False, False, {})
    early = api.call("put", MINE, cid, body={"answers": {str(age["id"]): 0}}, headers=me)
    assert early.status_code == 409  # never before voting
    vote(client, cid, me, 3)
    assert api.call("get", MINE, cid, headers=me).json["due"] is True
    answered = api.call(
        "put", MINE, cid, body={"answers": {str(age["id"]): 2, str(area["id"]): 1}}, headers=me
    )
    assert answered.status_code == 200
    assert answered.json["answers"] == {str(age["id"]): 2, str(area["id"]): 1}
    assert (answered.json["due"], answered.json["done"]) == (False, True)
    changed = api.call("put", MINE, cid, body={"answers": {str(area["id"]): 0}}, headers=me)
    assert changed.json["answers"] == {str(area["id"]): 0}
    download = api.call("get", "/conversations/{conversation_id}/me", cid, headers=me).json
    assert [(a["question_id"], a["choice"]) for a in download["answers"]] == [(area["id"], 0)]
    assert api.call("delete", MINE, cid, headers=me).status_code == 204
    assert api.call("get", MINE, cid, headers=me).json["answers"] == {}


def test_a_participant_skips_in_one_step(api, client, cid, facilitator):
    add(api, cid, facilitator.headers, preset="gender")
    me = join(client, cid)
    vote(client, cid, me, 3)
    skipped = api.call("put", MINE, cid, body={"skip": True}, headers=me)
    assert skipped.status_code == 200
    assert (skipped.json["due"], skipped.json["done"], skipped.json["answers"]) == (False, True, {})


def test_bad_answers_are_400_and_change_nothing(api, client, cid, facilitator):
    age = add(api, cid, facilitator.headers, preset="age")
    other = create_conversation(client, facilitator)["id"]
    foreign = add(api, other, facilitator.headers, preset="age")
    me = join(client, cid)
    vote(client, cid, me, 3)
    for body in (
        {"answers": {str(age["id"]): 8}},
        {"answers": {str(age["id"]): -1}},
        {"answers": {str(age["id"]): "1"}},
        {"answers": {str(age["id"]): True}},
        {"answers": {str(foreign["id"]): 0}},
        {"answers": {"x": 0}},
        {"answers": [0]},
        {"answers": None},
        {"skip": False},
        {"skip": True, "answers": {}},
    ):
        response = api.call("put", MINE, cid, body=body, headers=me)
        assert response.status_code == 400, body
    mine = api.call("get", MINE, cid, headers=me).json
    assert (mine["done"], mine["answers"]) == (False, {})


def test_answers_need_the_participants_own_token(api, client, cid, facilitator):
    other = create_conversation(client, facilitator)["id"]
    stranger = join(client, other)
    assert api.call("get", MINE, cid).status_code == 401
    assert api.call("get", MINE, cid, headers=stranger).status_code == 403
    assert api.call("put", MINE, cid, body={"skip": True}, headers=stranger).status_code == 403


def test_the_setting_is_a_conversation_setting(api, client, cid, facilitator):
    who = facilitator.headers
    one = api.call(
        "patch",
        "/conversations/{conversation_id}",
        cid,
        body={"questions_after_votes": 1},
        headers=who,
    )
    assert one.json["questions_after_votes"] == 1
    for bad in (0, 101, "3", True, 2.5):
        body = {"questions_after_votes": bad}
        assert (
            api.call(
                "patch", "/conversations/{conversation_id}", cid, body=body, headers=who
            ).status_code
            == 400
        )
    add(api, cid, who, preset="age")
    me = join(client, cid)
    vote(client, cid, me, 1)
    assert api.call("get", MINE, cid, headers=me).json["due"] is True
