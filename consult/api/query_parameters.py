"""Query parameters the API's description does not list are refused, as unknown body fields
are: a misspelt `?stauts=` must not quietly return everything."""

from __future__ import annotations

import functools
import json
import re
from importlib.resources import files

from flask import request

from consult.services.errors import InvalidInput

_PREFIX = "/api/v1"
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # Flask's <int:id> is OpenAPI's {id}


def refuse_unknown_query_parameters() -> None:
    """A before_request hook for the API blueprint."""
    if request.url_rule is None or not request.args:
        return
    path = _CONVERTER.sub(r"{\1}", request.url_rule.rule).removeprefix(_PREFIX)
    known = _declared().get((path, request.method.lower()))
    if known is None:  # not described (HEAD, OPTIONS): nothing to hold it to
        return
    unknown = sorted(set(request.args) - known)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        allowed = ", ".join(sorted(known)) or "none"
        raise InvalidInput(f"Unknown query parameters: {names}. This call takes: {allowed}.")


@functools.cache
def _declared() -> dict[tuple[str, str], frozenset[str]]:
    """(path, method) -> the query parameters openapi.json declares for it."""
    spec = json.loads(files("consult.api").joinpath("openapi.json").read_text(encoding="utf-8"))
    shared = spec.get("components", {}).get("parameters", {})

    def resolved(parameter: dict) -> dict:
        reference = parameter.get("$ref", "")
        return shared[reference.rsplit("/", 1)[1]] if reference else parameter

    declared = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            declared[(path, method)] = frozenset(
                p["name"] for p in map(resolved, parameters) if p.get("in") == "query"
            )
    return declared
