"""`consult ...` commands, through Flask's CLI (so `consult db upgrade` comes with them)."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from consult.demo import ensure_demo
from consult.services import users
from consult.services.errors import ServiceError


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(serve)


@click.group("users", help="Facilitator accounts.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.argument("email")
@with_appcontext
def create_user(email: str) -> None:
    """Create a facilitator; the password is prompted, or read from standard input."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = users.create_user(email, password)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created facilitator {user.email}.")


@users_group.command("token")
@click.argument("email")
@with_appcontext
def api_token(email: str) -> None:
    """Print a new API token for a facilitator (shown once; keep it secret)."""
    try:
        user = users.get_user_by_email(email)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(users.issue_api_token(user))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Create a demo consultation to vote in at once.")
@with_appcontext
def serve(host: str, port: int, demo: bool) -> None:
    """Run Consult in one process (the embedded tier): schema up to date, then serve."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade(directory=app.extensions["migrate"].directory)
    base = f"http://{host}:{port}"
    if demo:
        conversation, password = ensure_demo()
        click.echo(f"Demo consultation: {base}/c/{conversation.id}")
        if password:
            click.echo(f"Demo facilitator: {conversation.owner.email} / password {password}")
    click.echo(f"Facilitators log in at {base}/facilitate/login")
    if "CONSULT_COOKIE_SECURE" not in os.environ:
        # The embedded server speaks plain HTTP; production runs behind TLS (README).
        app.config["SESSION_COOKIE_SECURE"] = False
    run_simple(host, port, app, threaded=True)
