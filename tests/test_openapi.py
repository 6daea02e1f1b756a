"""The OpenAPI description matches the routes and the answers the API really gives."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import join
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

API = "/api/v1"


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json


def check(spec: dict[str, Any], path: str, method: str, response) -> None:
    """Validate a real response body against the spec's schema for its status."""
    described = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in described, (path, method, response.status_code)
    content = described[str(response.status_code)].get("content")
    if content is None:
        assert not response.data
        return
    registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(spec))
    schema = {"$ref": "urn:spec#" + _pointer(path, method, response.status_code)}
    Draft202012Validator(schema, registry=registry).validate(response.json)


def _pointer(path: str, method: str, status: int) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema"


def test_spec_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")


def test_every_route_is_described_and_every_description_is_a_route(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API):])
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert routes == described


def test_real_answers_match_their_schemas(client, facilitator, spec):
    created = client.post(f"{API}/conversations", json={"topic": "T", "seed_statements": ["A one", "B two"], "strict_moderation": True}, headers=facilitator.headers)
    check(spec, "/conversations", "post", created)
    cid = created.json["id"]
    base = "/conversations/{conversation_id}"
    check(spec, "/conversations", "get", client.get(f"{API}/conversations", headers=facilitator.headers))
    check(spec, base, "get", client.get(f"{API}/conversations/{cid}"))
    check(spec, base, "patch", client.patch(f"{API}/conversations/{cid}", json={"topic": "U"}, headers=facilitator.headers))
    joined = client.post(f"{API}/conversations/{cid}/participants")
    check(spec, base + "/participants", "post", joined)
    headers = join(client, cid)
    nxt = client.get(f"{API}/conversations/{cid}/next", headers=headers)
    check(spec, base + "/next", "get", nxt)
    vote = client.post(f"{API}/conversations/{cid}/votes", json={"statement_id": nxt.json["id"], "vote": 0}, headers=headers)
    check(spec, base + "/votes", "post", vote)
    check(spec, base + "/votes", "post", client.post(f"{API}/conversations/{cid}/votes", json={"statement_id": 1, "vote": 2}, headers=headers))
    pending = client.post(f"{API}/conversations/{cid}/statements", json={"text": "C three"}, headers=headers)
    check(spec, base + "/statements", "post", pending)
    check(spec, base + "/statements", "post", client.post(f"{API}/conversations/{cid}/statements", json={"text": "a one"}, headers=headers))
    check(spec, base + "/statements", "get", client.get(f"{API}/conversations/{cid}/statements?status=all", headers=facilitator.headers))
    moderation = client.post(f"{API}/conversations/{cid}/moderation", json={"statement_ids": [pending.json["id"]], "action": "accept"}, headers=facilitator.headers)
    check(spec, base + "/moderation", "post", moderation)
    client.post(f"{API}/conversations/{cid}/votes", json={"statement_id": 2 if nxt.json["id"] == 1 else 1, "vote": 1}, headers=headers)
    client.post(f"{API}/conversations/{cid}/votes", json={"statement_id": pending.json["id"], "vote": 1}, headers=headers)
    check(spec, base + "/next", "get", client.get(f"{API}/conversations/{cid}/next", headers=headers))
    check(spec, base + "/analysis", "get", client.get(f"{API}/conversations/{cid}/analysis"))
