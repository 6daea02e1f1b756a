"""Reading API requests: the JSON body and the bearer token, checked for shape first."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from consult.models import User
from consult.services.api_tokens import user_for_token
from consult.services.errors import InvalidInput, Unauthenticated


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object; an empty body is {} when the body is optional."""
    raw = request.get_data(cache=True)
    if not raw:  # whitespace is not "no body": it is not JSON either
        if required:
            raise InvalidInput("The body must be a JSON object.")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"The body is not valid JSON: {error}.") from None
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.")
    return body


def only_fields(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def facilitator_or_none() -> User | None:
    """The facilitator whose API token this request carries, if any."""
    token = bearer_token()
    return user_for_token(token) if token else None


def facilitator() -> User:
    """The facilitator whose API token this request carries, or Unauthenticated."""
    user = facilitator_or_none()
    if user is None:
        raise Unauthenticated("A facilitator API token is needed (Authorization: Bearer …).")
    return user


def path_id(raw: str) -> int | None:
    """A path segment as an id; anything else finds nothing (a 404, like an unknown id)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 16 else None
