"""Property-based fuzzing of the API: whatever is sent, the answer is never a 5xx.

Hypothesis generates paths, tokens, JSON bodies (of the right shape with wrong values, and
of any shape) and query strings for every route; a 4xx must carry the JSON error shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import join
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROUTES = [
    (
        "POST",
        "/api/v1/conversations",
        [
            "topic",
            "question",
            "description",
            "seed_statements",
            "is_open",
            "strict_moderation",
            "allow_statements",
            "statement_max_length",
            "require_xid",
            "results_public",
            "analysis_profile",
        ],
    ),
    ("GET", "/api/v1/conversations", []),
    ("GET", "/api/v1/conversations/{id}", []),
    (
        "PATCH",
        "/api/v1/conversations/{id}",
        [
            "topic",
            "is_open",
            "statement_max_length",
            "require_xid",
            "results_public",
            "analysis_profile",
        ],
    ),
    ("POST", "/api/v1/conversations/{id}/participants", ["xid", "xid_signature"]),
    ("POST", "/api/v1/conversations/{id}/invitations", ["xids"]),
    ("GET", "/api/v1/conversations/{id}/next", []),
    ("POST", "/api/v1/conversations/{id}/votes", ["statement_id", "vote"]),
    ("POST", "/api/v1/conversations/{id}/statements", ["text", "add_anyway"]),
    ("GET", "/api/v1/conversations/{id}/statements", []),
    ("POST", "/api/v1/conversations/{id}/moderation", ["statement_ids", "action"]),
    ("GET", "/api/v1/conversations/{id}/analysis", []),
    ("GET", "/api/v1/conversations/{id}/outcome", []),
    ("PUT", "/api/v1/conversations/{id}/outcome", ["text", "published"]),
    (
        "POST",
        "/api/v1/conversations/{id}/outcome/responses",
        ["statement_id", "group_id", "status", "text"],
    ),
    ("PATCH", "/api/v1/conversations/{id}/outcome/responses/1", ["status", "text"]),
    ("DELETE", "/api/v1/conversations/{id}/outcome/responses/1", []),
    ("GET", "/api/v1/conversations/{id}/report.pdf", []),
]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(codec="utf-16", categories=["Cs", "Cc", "Zs", "So"]), max_size=10
    ),
    st.sampled_from([-1, 0, 1, 2, "1", "accept", "reject", "meta", "unmoderated", "x" * 3000]),
)
# What an HTTP header can carry at all (no line breaks); anything else is the client's error.
header_text = st.text(
    alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=30
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def bodies(fields: list[str]) -> st.SearchStrategy[bytes | None]:
    shaped = (
        st.fixed_dictionaries({}, optional={f: json_values for f in fields})
        if fields
        else st.just({})
    )
    return st.one_of(
        st.none(),
        shaped.map(lambda body: json.dumps(body).encode()),
        json_values.map(lambda body: json.dumps(body).encode()),
        st.binary(max_size=60),
        st.sampled_from(
            [b"", b"{", b"[" * 5000, b'{"a": NaN}', b"\xff\xfe", b'{"text": "\\ud800"}']
        ),
    )


@pytest.fixture
def world(client, facilitator, conversation) -> dict[str, Any]:
    """Real ids and tokens for the fuzzer to mix with junk."""
    participant = join(client, conversation["id"])
    statement_ids = [
        s["id"]
        for s in client.get(f"/api/v1/conversations/{conversation['id']}/statements").json[
            "statements"
        ]
    ]
    return {
        "conversation_id": conversation["id"],
        "statement_ids": statement_ids,
        "auth": [facilitator.headers["Authorization"], participant["Authorization"]],
    }


@pytest.mark.parametrize(
    ("method", "template", "fields"), ROUTES, ids=[f"{m} {t}" for m, t, _ in ROUTES]
)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_api_never_answers_5xx(client, world, method, template, fields, data):
    conversation_id = data.draw(
        st.one_of(st.just(world["conversation_id"]), st.text(max_size=40)), label="id"
    )
    path = template.replace("{id}", _quote(conversation_id))
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["page", "per_page", "status", "statements"]),
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(["0", "1", "99999999999", "all", "rejected", "-1"]),
            ),
            max_size=3,
        ),
        label="query",
    )
    auth = data.draw(
        st.one_of(
            st.none(),
            st.sampled_from(world["auth"]),
            header_text.map(lambda t: "Bearer " + t),
            header_text,
        ),
        label="auth",
    )
    body = data.draw(bodies(fields), label="body")
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    response = client.open(path, method=method, query_string=query, data=body, headers=headers)
    assert response.status_code < 500, (response.status_code, response.data[:500])
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text.encode("utf-8", "surrogatepass"), safe="")
