"""Steps the outcome tests share: publishing, responding, voting by form, stored groups."""

from __future__ import annotations

from typing import Any

from conftest import Facilitator
from flask import Flask
from flask.testing import FlaskClient

from consult.services.analyses import store_analysis
from consult.services.consultations import get_conversation

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
