"""Security headers on every answer: pages, API, static files, errors and Socket.IO.

Added by a WSGI middleware rather than an `after_request` hook, so that answers Flask never
sees (Socket.IO's polling transport, answered by the engine.io middleware) get them too.
A header a view already set is left alone: a consultation's page that its facilitator lets
other sites embed sets its own policy with `content_security_policy(..., frame_ancestors=...)`
(consult.embedding); everything else may be framed nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from consult.links import base_url

HSTS_MAX_AGE = 365 * 24 * 60 * 60  # one year, the usual value (and the HSTS preload minimum)
# `same-origin` is stricter than `strict-origin-when-cross-origin`: other sites learn nothing,
# not even our origin, and a personal link's signed xid never leaves in a Referer.
# (Not `no-referrer`: Flask-WTF's CSRF check over HTTPS needs our own Referer.)
REFERRER_POLICY = "same-origin"


@lru_cache(maxsize=64)
def content_security_policy(site: str, frame_ancestors: tuple[str, ...] = ()) -> str:
    """The one Content-Security-Policy of Consult; `frame_ancestors` are origins that may
    embed the page (none by default)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],  # no inline scripts or handlers anywhere
        # Stylesheets only: no style attributes or <style> (the SVG charts need none).
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # Socket.IO: polling is same-origin HTTP; some browsers (Safari before 15.4) do not
        # count ws(s):// on our own host as 'self', so name it.
        "connect-src": ["'self'", _websocket_origin(site)],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(frame_ancestors) or ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _websocket_origin(site: str) -> str:
    parts = urlsplit(site)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


class SecurityHeaders:
    """WSGI middleware adding the security headers to every response that lacks them."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            added = [(n, v) for n, v in self._headers(environ) if n.lower() not in present]
            return start_response(status, headers + added, exc_info)

        return self._wsgi_app(environ, start)

    def _headers(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        headers = [
            ("Content-Security-Policy", content_security_policy(base_url(self._app))),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", REFERRER_POLICY),
        ]
        # The scheme as ProxyFix sees it (request.is_secure): over plain HTTP a browser
        # ignores HSTS anyway, and sending it there would only mislead.
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}"))
        return headers


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable (after Socket.IO's middleware, so it is covered too)."""
    app.wsgi_app = SecurityHeaders(app, app.wsgi_app)  # type: ignore[method-assign]
