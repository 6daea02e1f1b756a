"""Property-based fuzzing of the HTML pages and their forms: never a 5xx.

Every non-API route of the app (taken from its URL map, so a new page is fuzzed too) gets
generated form fields and query strings, as a logged-in facilitator and as a citizen, with
real ids mixed with junk.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from conftest import join
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult import create_app

# The fields the forms read, and a few they do not.
FIELDS = [
    "statement_id", "vote", "request_key", "return_to", "text", "add_anyway", "email",
    "password", "topic", "question", "description", "seed_statements", "is_open",
    "strict_moderation", "allow_statements", "statement_max_length", "require_xid",
    "results_public", "keep_statements_on_erasure", "analysis_profile", "action",
    "statement_ids", "status", "xids", "confirm", "name", "days", "participant", "published",
    "group_id", "next", "page", "statements", "junk",
]  # fmt: skip
JUNK_VALUES = ["", "0", "-1", "1", "agree", "yes", "on", "9" * 30, "\x00", "é" * 3000]
# What a browser can send: any text but lone surrogates, which no URL or form can encode.
sendable = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)


def _rules() -> list[tuple[str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static")) or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


RULES = _rules()
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture
def world(app, client, facilitator, conversation) -> dict[str, Any]:
    join(client, conversation["id"])
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    return {"conversation_id": conversation["id"]}


text_values = st.one_of(st.sampled_from(JUNK_VALUES), sendable)


@pytest.mark.parametrize(("method", "rule"), RULES, ids=[f"{m} {r}" for m, r in RULES])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_pages_never_answer_5xx(client, world, method, rule, data):
    def fill(match: re.Match) -> str:
        name = match.group(1)
        real = world["conversation_id"] if name == "conversation_id" else "1"
        value = data.draw(st.one_of(st.just(real), sendable), label=name)
        return quote(value, safe="")

    path = _PARAMETER.sub(fill, rule)
    query = data.draw(st.dictionaries(st.sampled_from(FIELDS), text_values, max_size=3))
    form = data.draw(
        st.dictionaries(
            st.sampled_from(FIELDS),
            st.one_of(text_values, st.lists(text_values, max_size=3)),
            max_size=6,
        )
    )
    response = client.open(
        path, method=method, query_string=query, data=form if method == "POST" else None
    )
    assert response.status_code < 500, (method, path, query, form)
