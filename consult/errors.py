"""Error handlers: typed service errors and HTTP errors become 4xx pages or JSON errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from consult.api.inputs import bearer_token
from consult.extensions import db
from consult.rate_limits import failed_token_retry_after, retry_after
from consult.services.errors import ServiceError, Unauthenticated
from consult.vote_limits import VoteLimitReached


def wants_json() -> bool:
    """The API always speaks JSON; pages answer JSON to their own scripts' fetch calls."""
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best == "application/json"


def json_error(status: int, code: str, message: str, **details: Any) -> tuple[Any, int]:
    """The one shape of every API error: {"error": {"code", "message", ...}}."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(details)
    return jsonify(error=body), status


# The database is down or dropped the connection: a short, honest "try again", not a 500.
DATABASE_RETRY_SECONDS = 5
# Our words for the HTTP errors people meet, in place of Werkzeug's English defaults.
HTTP_MESSAGES = {
    400: lazy_gettext("This request could not be understood. Go back and try again."),
    403: lazy_gettext("You may not do this here."),
    404: lazy_gettext("There is nothing at this address. Check the link, or start again below."),
    405: lazy_gettext("This address does not take this kind of request."),
    413: lazy_gettext("What was sent is too large."),
}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _form_expired)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(VoteLimitReached, _votes_limited)
    app.register_error_handler(OperationalError, _database_unavailable)


def _service_error(error: ServiceError) -> Any:
    if isinstance(error, Unauthenticated) and bearer_token() is not None:
        seconds = failed_token_retry_after()
        if seconds is not None:  # this address has sent too many wrong tokens
            return too_many_requests(seconds)
    if wants_json():
        return json_error(error.status, error.code, error.message, **error.details)
    return _error_page(error.status, error.message)


def _http_error(error: HTTPException) -> Any:
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    message = _http_message(error)
    if wants_json():
        response, status = json_error(status, code, message)
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response, status
    return _error_page(status, message)


def _form_expired(_error: CSRFError) -> Any:
    # Flask-WTF's description ("The CSRF session token is missing.") is for developers.
    # The citizens' pages have their own handler, which keeps what was typed.
    message = _(
        "This form has expired: the session it belonged to ended. "
        "Reload the page, then send it again."
    )
    if wants_json():
        return json_error(400, "csrf_failed", message)
    return _error_page(400, message)


def _http_message(error: HTTPException) -> str:
    """What the code that raised the error wrote, else our words for its status."""
    status = error.code or 500
    if error.description and error.description != type(error).description:
        return error.description
    return str(HTTP_MESSAGES.get(status, error.description or error.name))


def _rate_limited(_error: RateLimitExceeded) -> Any:
    return too_many_requests(retry_after())


def _votes_limited(error: VoteLimitReached) -> Any:
    return too_many_requests(error.retry_after)


def too_many_requests(seconds: int) -> Any:
    """429 with Retry-After (set here: Flask-Limiter's own headers are off, see rate_limits)."""
    message = wait_message(seconds)
    if wants_json():
        response, status = json_error(429, "too_many_requests", message, retry_after=seconds)
    else:
        response, status = _error_page(429, message)
        response = make_response(response, status)
    response.headers["Retry-After"] = str(seconds)
    return response, status


def wait_message(seconds: int) -> str:
    """What a 429 says: too many requests, and how long to wait."""
    return ngettext(
        "Too many requests in a short time. Please try again in %(num)s second.",
        "Too many requests in a short time. Please try again in %(num)s seconds.",
        seconds,
    )


def _database_unavailable(error: OperationalError) -> Any:
    """503 with Retry-After; nothing was acknowledged, so a retry is safe (a vote with an
    Idempotency-Key is stored once however often it is sent)."""
    current_app.logger.warning("database unavailable: %s", type(error.orig).__name__)
    db.session.rollback()
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    if wants_json():
        response, status = json_error(503, "service_unavailable", message)
    else:
        response, status = _error_page(503, message)
        response = make_response(response, status)
    response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    return response, status


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status
