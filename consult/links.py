"""Links the server writes (API answers, exports, invitation CSVs, pages that show a link):
always under CONSULT_BASE_URL, never from the request's Host header, which a client chooses.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

# What `consult serve` serves on by default; `consult serve` sets its own address instead
# when CONSULT_BASE_URL is unset.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def base_url(app: Flask | None = None) -> str:
    """The site's address, without a trailing slash."""
    configured = (app or current_app).config.get("CONSULT_BASE_URL")
    return (configured or DEFAULT_BASE_URL).rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for `endpoint` (a full name such as "participation.conversation")."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def warn_if_unset(app: Flask) -> None:
    """Production (gunicorn on wsgi.py) should say where it lives; the default is local."""
    if not app.config.get("CONSULT_BASE_URL"):
        app.logger.warning(
            "CONSULT_BASE_URL is not set: links in the API, exports and invitation lists "
            "will point to %s. Set it to the public address, e.g. https://consult.example.org.",
            DEFAULT_BASE_URL,
        )
