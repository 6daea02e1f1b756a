"""The API and its OpenAPI description agree: schemathesis generates requests, valid and
invalid, for every operation, and checks each answer against the description (no 5xx,
documented status codes and content types, answers matching their schemas, invalid
input refused, valid input accepted).

Bounded (a few examples per operation and mode) so that it runs in CI on both databases.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import schemathesis
from conftest import create_conversation, join, make_app
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from consult.extensions import db

DESCRIPTION = json.loads(
    (Path(__file__).parents[1] / "consult" / "api" / "openapi.json").read_text()
)


def _has_input(item: dict, operation: dict) -> bool:
    return bool(item.get("parameters") or operation.get("parameters") or "requestBody" in operation)


# (method, path, mode): invalid requests only where the operation takes some input.
CASES = [
    (method.upper(), path, mode)
    for path, item in DESCRIPTION["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_input(item, operation)
]
# Left out: "valid input accepted" (some rules are beyond a schema: a statement needs a word,
# a group id must exist) and "no answer without credentials" (every operation's 401 and 403
# are tested one by one in tests/test_api.py; here credentials are always sent, to reach
# past them).
EXCLUDED = [positive_data_acceptance, ignored_auth]
# In the suite: a few examples, the same on every run (no flaky CI). By hand, more and new
# ones: CONSULT_SCHEMATHESIS_EXAMPLES=200 pytest tests/test_schemathesis.py
BY_HAND = "CONSULT_SCHEMATHESIS_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("CONSULT_SCHEMATHESIS_EXAMPLES", "12"))


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {o}" for m, p, o in CASES]
)
def test_every_answer_agrees_with_the_description(
    app, database_url, client, facilitator, method, path, mode
):
    conversation_id = create_conversation(client, facilitator)["id"]
    participant = join(client, conversation_id)
    # Limits off, or most generated requests would be a (documented) 429 and test nothing.
    unlimited = make_app(database_url, csrf=False, CONSULT_RATELIMIT_ENABLED=False)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", unlimited)
    operation = schema[path][method]
    schemes = {name for need in operation.definition.raw.get("security") or [] for name in need}
    headers = facilitator.headers if "facilitatorToken" in schemes else participant

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=not BY_HAND,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answer_agrees(case) -> None:
        # A real consultation and valid credentials, to reach past the 404 and the 401.
        # Whole containers are assigned, so schemathesis re-checks which parts are invalid.
        if "conversation_id" in (case.path_parameters or {}):
            case.path_parameters = {**case.path_parameters, "conversation_id": conversation_id}
        case.headers = {**(case.headers or {}), **headers}
        case.call_and_validate(excluded_checks=EXCLUDED)
        with unlimited.app_context():
            db.session.remove()

    answer_agrees()
