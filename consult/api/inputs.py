"""Reading API requests: the JSON body and the bearer token, checked for shape first."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from consult.models import User
from consult.services.api_tokens import user_for_token
from consult.services.errors import InvalidInput, Unauthenticated

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object; an empty body is {} when the body is optional."""
    if request.mimetype in FORM_TYPES and request.content_length != 0:
        # A form's fields are parsed apart from the body, which would then read as empty:
        # a join with an xid sent as a form would make an anonymous participant.
        raise InvalidInput("Send the body as JSON, with Content-Type: application/json.")
    raw = _body()
    if not raw:  # whitespace is not "no body": it is not JSON either
        if required:
            raise InvalidInput("The body must be a JSON object.")
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:  # say where: worth passing on
        raise InvalidInput(f"The body is not valid JSON: {error}.") from None
    except ValueError:  # Python's own words about its limit on digits: not the client's
        raise InvalidInput("The body holds a number too long to read.") from None
    except RecursionError:
        raise InvalidInput("The body is nested too deeply to read.") from None
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.")
    return body


def _body() -> bytes:
    """The raw body, refused past the request's size limit also when it comes in chunks.

    With no Content-Length, Werkzeug's stream stops at the limit without a word, and a cut
    body read as a smaller one (or as broken JSON); the server's own input tells.
    """
    limit = request.max_content_length
    # Only a server that ends the input (gunicorn; Werkzeug's for a chunked body) may be read
    # to its end: on another, a body without a length is none, and reading would wait.
    terminated = "wsgi.input_terminated" in request.environ  # as Werkzeug reads the flag
    if request.content_length is not None or limit is None or not terminated:
        return request.get_data(cache=True)
    raw = request.environ["wsgi.input"].read(limit + 1)
    if len(raw) > limit:
        raise RequestEntityTooLarge()
    return raw


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
