"""Load shedding: past a backlog of requests in one process, answer 503 at once.

A WSGI middleware rather than a `before_request` hook: it refuses before Flask builds a
request, opens the session or asks Redis about rate limits, so a refusal costs well under a
millisecond. A request counts until the app returns its answer.

gunicorn's threads take requests off its queue as fast as they can; without this, under
more load than the database can take, every request would wait its turn and all of them
would answer late. With a limit below gunicorn's `--threads`, the spare threads keep the
queue empty by refusing, and the requests let in answer at the database's own speed.

The busy page speaks the request's language, chosen as every page chooses it
(`consult.i18n.locale_for`).

Not counted: static files and the health check (cheap, and a load balancer must see the
process alive), and Socket.IO, whose websockets hold a thread for their whole life.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from babel.support import Translations
from flask import Flask
from markupsafe import escape
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header, parse_cookie

from consult.i18n import COOKIE, LOCALES, RIGHT_TO_LEFT, TRANSLATIONS, locale_for

# "/health": for the health check a deployment adds (Consult has none of its own yet).
EXEMPT_PREFIXES = ("/static/", "/socket.io/", "/health")

_PAGE = """<!doctype html>
<html lang="{lang}" dir="{direction}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/css/consult.css"></head>
<body><main><h1>{title}</h1>
<p>{message}</p></main></body>
</html>
"""


def busy_pages(retry_after: int) -> dict[str, bytes]:
    """The busy page in every shipped language, made once: a refusal only picks one.

    Read from the compiled catalogues directly: the page answers before Flask (and
    Flask-Babel) see the request.
    """
    pages = {}
    for code in LOCALES:
        translations = Translations.load(str(TRANSLATIONS), [code])
        message = translations.ngettext(
            "Too many people are taking part at this moment. Please try again in "
            "%(num)s second: nothing you did is lost.",
            "Too many people are taking part at this moment. Please try again in "
            "%(num)s seconds: nothing you did is lost.",
            retry_after,
        ) % {"num": retry_after}
        page = _PAGE.format(
            lang=code,
            direction="rtl" if code in RIGHT_TO_LEFT else "ltr",
            title=escape(translations.gettext("Consult is very busy")),
            message=escape(message),
        )
        pages[code] = page.encode()
    return pages


class LoadShedding:
    """WSGI middleware letting at most `limit` requests in at once; the rest get a 503."""

    def __init__(
        self, wsgi_app: Callable[..., Iterable[bytes]], limit: int, retry_after: int
    ) -> None:
        self._wsgi_app = wsgi_app
        self._slots = threading.BoundedSemaphore(limit)
        self._retry_after = str(retry_after)
        self._pages = busy_pages(retry_after)
        # The API's one error shape (consult.errors.json_error), made once.
        error = {
            "code": "overloaded",
            "message": f"The server is busy. Please try again in {retry_after} seconds.",
            "retry_after": retry_after,
        }
        self._json = json.dumps({"error": error}).encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(EXEMPT_PREFIXES):
            return self._wsgi_app(environ, start_response)
        if not self._slots.acquire(blocking=False):
            return self._refuse(environ, start_response)
        try:
            return self._wsgi_app(environ, start_response)
        finally:
            # Flask has run the view and its teardown by now; only a streamed body (an
            # export) is still to be made, outside the count, rather than hold a slot
            # until a client that never reads its answer goes away.
            self._slots.release()

    def _refuse(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if _wants_json(environ):
            body, content_type = self._json, "application/json"
        else:
            body, content_type = self._pages[_locale(environ)], "text/html; charset=utf-8"
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Retry-After", self._retry_after),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]


def _wants_json(environ: dict[str, Any]) -> bool:
    """As consult.errors.wants_json: the API, and the pages' own scripts, get JSON."""
    if environ.get("PATH_INFO", "").startswith("/api/"):
        return True
    accept = parse_accept_header(environ.get("HTTP_ACCEPT", ""), MIMEAccept)
    return accept.best == "application/json"


def _locale(environ: dict[str, Any]) -> str:
    """The request's language as the pages choose it (`consult.i18n.select_locale`)."""
    chosen = parse_cookie(environ.get("HTTP_COOKIE", "")).get(COOKIE, "")
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE", ""), LanguageAccept)
    return locale_for(chosen, accepted)


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable; 0 turns shedding off."""
    limit = int(app.config["CONSULT_MAX_IN_FLIGHT"])
    if limit > 0:
        app.wsgi_app = LoadShedding(  # type: ignore[method-assign]
            app.wsgi_app, limit, int(app.config["CONSULT_RETRY_AFTER"])
        )
