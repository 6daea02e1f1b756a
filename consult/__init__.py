"""Consult: online public consultations in the style of Pol.is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import FlaskGroup
from socketio import RedisManager

from consult import (
    embedding,
    headers,
    i18n,
    linked_text,
    load_shedding,
    math_runner,
    proxies,
    rate_limits,
    session_teardown,
)
from consult.api import bp as api_bp
from consult.cli import register_commands
from consult.config import load_settings
from consult.errors import register_error_handlers
from consult.extensions import csrf, db, migrate, socketio
from consult.facilitation import bp as facilitation_bp
from consult.forms import refuse_nul_characters
from consult.links import external_url
from consult.participation import bp as participation_bp
from consult.reports import bp as reports_bp
from consult.tokens import new_request_key

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory: settings, extensions, blueprints, error handlers, CLI."""
    templates, static = _asset_folders()
    app = Flask(__name__, template_folder=templates, static_folder=static)
    app.config.update(load_settings(app.instance_path, config))

    db.init_app(app)
    session_teardown.init_app(app)  # after db: it runs before db's own teardown
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    # First: its hook gives a framed page's request the session CSRF is checked against.
    embedding.init_app(app)
    csrf.init_app(app)
    # Threading with simple-websocket (the maintainer's advice for new projects); the Redis
    # message queue carries events between processes on the production tier.
    # The client manager is given explicitly, never left over from another app made in
    # the same process (the extension object is shared).
    redis_url = app.config["CONSULT_REDIS_URL"]
    socketio.init_app(
        app,
        async_mode="threading",
        client_manager=RedisManager(redis_url, channel="consult-live") if redis_url else None,
        cors_allowed_origins=app.config["CONSULT_ALLOWED_ORIGINS"] or None,
    )
    math_runner.init_app(app)
    i18n.init_app(app)
    linked_text.register(app)
    # Inside the headers middleware, so that a 503 carries the security headers too.
    load_shedding.init_app(app)
    # Outermost last: ProxyFix fixes the scheme before the headers middleware reads it.
    headers.init_app(app)
    proxies.init_app(app)

    app.register_blueprint(participation_bp)
    app.register_blueprint(facilitation_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API authenticates by bearer token, never by cookie
    rate_limits.init_app(app)  # after the blueprints: it limits their views
    app.before_request(refuse_nul_characters)
    register_error_handlers(app)
    register_commands(app)
    app.jinja_env.globals["external_url"] = external_url
    # A fresh key in each vote form: the same form sent twice (back, reload) counts once.
    app.jinja_env.globals["new_request_key"] = new_request_key
    return app


def _asset_folders() -> tuple[str, str]:
    """templates/ and static/ at the repository root, or inside the installed package."""
    installed = Path(__file__).parent
    if (installed / "templates").is_dir():
        return str(installed / "templates"), str(installed / "static")
    root = installed.parent
    return str(root / "templates"), str(root / "static")


def main() -> None:
    """Entry point of the `consult` command: Flask's CLI on this app, with `db` and ours."""
    FlaskGroup(create_app=create_app, help="Consult: online public consultations.")()
