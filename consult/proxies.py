"""Trusting a reverse proxy's X-Forwarded-* headers, only when told how many proxies there are."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """With CONSULT_TRUSTED_PROXIES=n, take the client address and scheme from the last n
    proxies' X-Forwarded-For and X-Forwarded-Proto (request.remote_addr, request.is_secure).

    Off by default: without a proxy, those headers come from the client and would let it
    choose its address. The Host header is not taken from X-Forwarded-Host: links use
    CONSULT_BASE_URL (consult.links), so nothing needs it.
    """
    proxies = app.config["CONSULT_TRUSTED_PROXIES"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
