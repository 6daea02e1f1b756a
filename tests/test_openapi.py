"""The OpenAPI description matches the API's routes and the answers it really gives."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import pytest
from conftest import Facilitator, create_conversation, join
from flask import Flask
from flask.testing import FlaskClient
from helpers import xid_signature
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from consult.services.analyses import store_analysis
from consult.services.consultations import get_conversation

API = "/api/v1"
SPEC_URI = "urn:consult:openapi"
JSON = ("content", "application/json", "schema")
ONE = "/conversations/{conversation_id}"
PARTICIPANTS, NEXT, VOTES = f"{ONE}/participants", f"{ONE}/next", f"{ONE}/votes"
STATEMENTS, MODERATION, ANALYSIS = f"{ONE}/statements", f"{ONE}/moderation", f"{ONE}/analysis"
INVITATIONS = f"{ONE}/invitations"


@dataclass
class Spec:
    """The served OpenAPI document, with a validator for any schema in it."""

    document: dict[str, Any]

    def at(self, location: tuple[str, ...]) -> Any:
        node = self.document
        for part in location:
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def follow(self, location: tuple[str, ...]) -> tuple[str, ...]:
        """`location`, or where the $ref found there points (a local ref to a component)."""
        target = self.at(location).get("$ref")
        return location if target is None else tuple(target.removeprefix("#/").split("/"))

    def validator(self, location: tuple[str, ...]) -> Draft202012Validator:
        pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in location)
        registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(self.document))
        return Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)


@dataclass
class Api:
    """Calls the API and asserts that each answer is one the spec describes."""

    client: FlaskClient
    spec: Spec

    def call(
        self,
        method: str,
        path: str,
        conversation_id: str = "",
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: str = "",
        path_ids: dict[str, str] | None = None,
    ) -> TestResponse:
        url = API + path.replace("{conversation_id}", conversation_id) + query
        for name, value in (path_ids or {}).items():  # other path parameters, by name
            url = url.replace("{" + name + "}", value)
        response = self.client.open(url, method=method.upper(), json=body, headers=headers)
        operation = ("paths", path, method)
        status = str(response.status_code)
        assert status in self.spec.at((*operation, "responses")), (method, path, response.json)
        described = self.spec.follow((*operation, "responses", status))
        if "content" in self.spec.at(described):
            assert response.is_json, (method, path, status)
            self.spec.validator((*described, *JSON)).validate(response.json)
        else:
            assert response.data == b""
        if body is not None and response.status_code < 300:  # what the server took, the spec allows
            request_body = self.spec.follow((*operation, "requestBody"))
            self.spec.validator((*request_body, *JSON)).validate(body)
        return response


@pytest.fixture
def spec(client: FlaskClient) -> Spec:
    return Spec(client.get(f"{API}/openapi.json").json)


@pytest.fixture
def api(client: FlaskClient, spec: Spec) -> Api:
    return Api(client, spec)


def test_openapi_json_is_served_as_an_openapi_3_1_document(client: FlaskClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert re.fullmatch(r"3\.1\.\d+", response.json["openapi"])
    for schema in response.json["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_spec_file_is_pretty_printed_with_two_spaces() -> None:
    text = files("consult.api").joinpath("openapi.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_spec_paths_methods_and_operation_ids_are_exactly_the_api_routes(
    app: Flask, spec: Spec
) -> None:
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API)), method.lower(), name)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
        for name in [rule.endpoint.removeprefix("api.")]
    }
    described = {
        (path, method, operation["operationId"])
        for path, item in spec.document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    assert routes == described


def test_every_operation_declares_exactly_the_parameters_in_its_path(spec: Spec) -> None:
    for path, item in spec.document["paths"].items():
        for method in item.keys() - {"parameters"}:
            declared = {
                parameter["name"]
                for owner in [("paths", path), ("paths", path, method)]
                for i in range(len(spec.at(owner).get("parameters", [])))
                for parameter in [spec.at(spec.follow((*owner, "parameters", str(i))))]
                if parameter["in"] == "path"
            }
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_conversation_answers_match_the_spec(api: Api, facilitator: Facilitator) -> None:
    auth = facilitator.headers
    new = {"topic": "Transport", "seed_statements": ["Trams.", "Buses."], "require_xid": True}
    created = api.call("post", "/conversations", body=new, headers=auth)
    assert created.status_code == 201
    cid = created.json["id"]
    assert api.call("get", "/conversations", headers=auth).status_code == 200
    assert api.call("get", ONE, cid).status_code == 200
    change = {"question": "How?", "is_open": False, "statement_max_length": 2000}
    assert api.call("patch", ONE, cid, body=change, headers=auth).status_code == 200
    xids = {"xids": ["member-17", "member-18"]}
    assert api.call("post", INVITATIONS, cid, body=xids, headers=auth).status_code == 200
    assert api.call("post", INVITATIONS, cid, body={"xids": []}, headers=auth).status_code == 400
    assert api.call("post", INVITATIONS, cid, body=xids).status_code == 401
    assert api.call("post", INVITATIONS, "nope", body=xids, headers=auth).status_code == 404


def test_participant_answers_match_the_spec(
    app: Flask, api: Api, conversation: dict[str, Any]
) -> None:
    cid = conversation["id"]
    joined = api.call("post", PARTICIPANTS, cid)
    assert joined.status_code == 201
    signed = {"xid": "member-17", "xid_signature": xid_signature(app, cid, "member-17")}
    for status in (201, 200):  # a new xid, then the same one again
        assert api.call("post", PARTICIPANTS, cid, body=signed).status_code == status
    unsigned = api.call("post", PARTICIPANTS, cid, body={"xid": "member-17"})
    assert unsigned.status_code == 403
    assert unsigned.json["error"]["code"] == "invalid_xid"
    me = {"Authorization": f"Bearer {joined.json['token']}"}
    assert api.call("post", STATEMENTS, cid, body={"text": "Trams!"}, headers=me).status_code == 201
    while (shown := api.call("get", NEXT, cid, headers=me)).status_code == 200:
        vote = {"statement_id": shown.json["id"], "vote": -1}
        assert api.call("post", VOTES, cid, body=vote, headers=me).status_code == 201
    assert shown.status_code == 204
    assert api.call("get", STATEMENTS, cid, query="?page=2&per_page=2").status_code == 200


def test_moderation_and_analysis_answers_match_the_spec(
    app: Flask, api: Api, client: FlaskClient, facilitator: Facilitator
) -> None:
    auth = facilitator.headers
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    me = join(client, cid)
    pending = api.call("post", STATEMENTS, cid, body={"text": "Night buses."}, headers=me)
    assert pending.status_code == 202
    queue = api.call("get", STATEMENTS, cid, headers=auth, query="?status=unmoderated")
    assert [s["id"] for s in queue.json["statements"]] == [pending.json["id"]]
    accept = {"statement_ids": [pending.json["id"]], "action": "accept"}
    assert api.call("post", MODERATION, cid, body=accept, headers=auth).status_code == 200
    assert api.call("get", ANALYSIS, cid).status_code == 404
    with app.app_context():
        store_analysis(get_conversation(cid), {"groups": [], "routing_priority": {}})
    assert api.call("get", ANALYSIS, cid).status_code == 200


def test_error_answers_match_the_spec(
    app: Flask,
    api: Api,
    client: FlaskClient,
    facilitator: Facilitator,
    conversation: dict[str, Any],
) -> None:
    cid = conversation["id"]
    me = join(client, cid)
    bad_vote = {"statement_id": 1, "vote": 2}
    assert api.call("post", VOTES, cid, body=bad_vote, headers=me).status_code == 400
    assert api.call("post", VOTES, cid, body=bad_vote).status_code == 401
    assert api.call("get", ONE, "nope").status_code == 404
    repeat = {"text": "BUSES should run every ten minutes"}
    duplicate = api.call("post", STATEMENTS, cid, body=repeat, headers=me)
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["existing"]["text"] == "Buses should run every ten minutes."
    near = {"text": "Buses should run every ten minutes at least"}
    similar = api.call("post", STATEMENTS, cid, body=near, headers=me)
    assert similar.status_code == 409
    assert similar.json["error"]["similar"][0]["text"] == "Buses should run every ten minutes."
    added = api.call("post", STATEMENTS, cid, body={**near, "add_anyway": True}, headers=me)
    assert added.status_code == 201
    too_large = api.call(
        "post", "/conversations", body="x" * 5_000_000, headers=facilitator.headers
    )
    assert too_large.status_code == 413

    closed = create_conversation(client, facilitator, require_xid=True, is_open=False)["id"]
    assert api.call("post", PARTICIPANTS, closed).status_code == 403
    outsider = join(client, closed, xid="x", xid_signature=xid_signature(app, closed, "x"))
    assert api.call("get", NEXT, cid, headers=outsider).status_code == 403
    refused = api.call("get", NEXT, closed, headers=outsider)
    assert refused.json["error"]["code"] == "consultation_closed"

    wrong_method = client.delete(f"{API}/conversations/{cid}")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"]
    described = ("components", "responses", "MethodNotAllowed", *JSON)
    api.spec.validator(described).validate(wrong_method.json)


def test_every_request_body_refuses_unknown_fields_in_spec_and_server(
    api: Api, client: FlaskClient, facilitator: Facilitator, conversation: dict[str, Any]
) -> None:
    participant = join(client, conversation["id"])
    tokens = {"facilitatorToken": facilitator.headers, "participantToken": participant}
    for path, item in api.spec.document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            request_body = api.spec.follow(("paths", path, method, "requestBody"))
            schema = api.spec.at(api.spec.follow((*request_body, *JSON)))
            assert schema["additionalProperties"] is False, (method, path)
            headers = tokens.get(next(iter(operation.get("security", [{}])[0]), ""))
            answer = api.call(method, path, conversation["id"], body={"extra": 1}, headers=headers)
            assert answer.status_code == 400, (method, path)


def test_outcome_answers_match_the_spec(
    app: Flask, api: Api, client: FlaskClient, facilitator: Facilitator
) -> None:
    auth = facilitator.headers
    cid = create_conversation(client, facilitator)["id"]
    outcome, responses = f"{ONE}/outcome", f"{ONE}/outcome/responses"
    assert api.call("get", outcome, cid).status_code == 404  # nothing published yet
    assert api.call("get", outcome, cid, headers=auth).json["published"] is False
    draft = {"text": "The plan adopts most of it.", "published": False}
    assert api.call("put", outcome, cid, body=draft, headers=auth).status_code == 200
    empty = {"text": "", "published": True}
    assert api.call("put", outcome, cid, body=empty, headers=auth).status_code == 400
    assert api.call("put", outcome, cid, body=draft).status_code == 401
    statement = client.get(f"{API}/conversations/{cid}/statements").json["statements"][0]["id"]
    new = {"statement_id": statement, "status": "adopted", "text": "Article 4."}
    made = api.call("post", responses, cid, body=new, headers=auth)
    assert made.status_code == 201
    assert api.call("post", responses, cid, body=new, headers=auth).status_code == 409
    with app.app_context():
        groups = [{"id": 0, "members": 9, "centre": [0.0, 0.0]}]
        summary = {"ready": True, "groups": groups}
        store_analysis(get_conversation(cid), {"groups": groups}, summary=summary)
    for_group = {"group_id": 0, "status": "not_taken_up", "text": "Too costly."}
    assert api.call("post", responses, cid, body=for_group, headers=auth).status_code == 201
    one, rid = f"{responses}/{{response_id}}", {"response_id": str(made.json["id"])}
    change = {"status": "partly_adopted"}
    assert api.call("patch", one, cid, body=change, headers=auth, path_ids=rid).status_code == 200
    published = {**draft, "published": True}
    assert api.call("put", outcome, cid, body=published, headers=auth).status_code == 200
    assert len(api.call("get", outcome, cid).json["responses"]) == 2
    assert api.call("delete", one, cid, headers=auth, path_ids=rid).status_code == 204
    assert api.call("delete", one, cid, headers=auth, path_ids=rid).status_code == 404
