"""`consult ...` commands, through Flask's CLI (so `consult db upgrade` comes with them)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect

from clustering.polis_export import MalformedExport
from consult.config import environment_value
from consult.demo import ensure_demo
from consult.extensions import db, socketio
from consult.links import base_url
from consult.math_runner import run_worker
from consult.services import api_tokens, consultations, users
from consult.services.errors import ServiceError
from consult.services.exports import write_export
from consult.services.polis_import import (
    CHUNK,
    import_owner,
    import_polis,
    imported_before,
    read_polis_folder,
)
from consult.serving import EmbeddedServer


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(serve)
    app.cli.add_command(worker)
    app.cli.add_command(export_command)
    app.cli.add_command(import_polis_command)


def needs_schema(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run `ensure_schema` before the command."""

    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        ensure_schema()
        return command(*args, **kwargs)

    return wrapped


def ensure_schema() -> None:
    """Bring the schema up to date on the embedded tier (SQLite); elsewhere say what to run."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    tables = inspect(db.engine).get_table_names()
    if not tables or "alembic_version" in tables:
        if db.engine.dialect.name == "sqlite":
            upgrade(directory=app.extensions["migrate"].directory)
        elif not tables:
            raise click.ClickException(
                "The database has no tables yet: run `consult db upgrade` first."
            )


@click.group("users", help="Facilitator accounts.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.argument("email")
@with_appcontext
@needs_schema
def create_user(email: str) -> None:
    """Create a facilitator; the password is prompted, or read from standard input."""
    password = _read_password()
    with _refusals_as_errors():
        user = users.create_user(email, password)
    click.echo(f"Created facilitator {user.email}.")


@users_group.command("set-password")
@click.argument("email")
@with_appcontext
@needs_schema
def set_password(email: str) -> None:
    """Set a facilitator's password (prompted, or read from standard input) and end their
    logins; their API tokens keep working."""
    password = _read_password()
    with _refusals_as_errors():
        user = users.set_password(email, password)
    click.echo(f"New password set for {user.email}; their logins have ended.")


@contextmanager
def _refusals_as_errors() -> Iterator[None]:
    """A service's refusal (bad input, no such account) as the command's error message."""
    try:
        yield
    except ServiceError as error:
        raise click.ClickException(error.message) from None


def _read_password() -> str:
    """Prompted twice on a terminal; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, shown in lists of tokens.")
@click.option(
    "--days",
    default=api_tokens.DEFAULT_DAYS,
    show_default=True,
    type=int,
    help="Days until it expires; 0 for a token that never expires.",
)
@with_appcontext
@needs_schema
def api_token(email: str, name: str, days: int) -> None:
    """Print a new API token for a facilitator (shown once; keep it secret)."""
    with _refusals_as_errors():
        user = users.get_user_by_email(email)
        click.echo(api_tokens.issue(user, name=name, days=days or None))


@users_group.command("tokens")
@click.argument("email")
@with_appcontext
@needs_schema
def list_tokens(email: str) -> None:
    """List a facilitator's API tokens that still work (the tokens themselves are not kept)."""
    with _refusals_as_errors():
        user = users.get_user_by_email(email)
    rows = api_tokens.live_for(user)
    if not rows:
        click.echo(f"{user.email} has no API tokens.")
    for row in rows:
        expires = row.expires_at.date().isoformat() if row.expires_at else "never"
        used = row.last_used_at.date().isoformat() if row.last_used_at else "never"
        name = f" {row.name!r}" if row.name else ""
        click.echo(
            f"{row.id}{name}: created {row.created_at.date()}, expires {expires}, last used {used}"
        )


@users_group.command("revoke-token")
@click.argument("email")
@click.argument("token_id", type=int)
@with_appcontext
@needs_schema
def revoke_token(email: str, token_id: int) -> None:
    """Revoke one of a facilitator's API tokens (its number from `consult users tokens`)."""
    with _refusals_as_errors():
        api_tokens.revoke(users.get_user_by_email(email), token_id)
    click.echo(f"Revoked API token {token_id}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Create a demo consultation to vote in at once.")
@click.option("--dev", is_flag=True, help="Werkzeug's server with the reloader, for development.")
@click.option(
    "--access-log",
    is_flag=True,
    help="Log each request (time, method, path without query, status); never the address.",
)
@with_appcontext
def serve(host: str, port: int, demo: bool, dev: bool, access_log: bool) -> None:
    """Run Consult in one process (the embedded tier): schema up to date, then serve."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade(directory=app.extensions["migrate"].directory)
    if not app.config.get("CONSULT_BASE_URL"):
        # Links the server writes point where this process serves, unless told otherwise.
        app.config["CONSULT_BASE_URL"] = f"http://{host}:{port}"
    base = base_url(app)
    if demo:
        conversation, password = ensure_demo()
        click.echo(f"Demo consultation: {base}/c/{conversation.id}")
        click.echo(f"Its live page: {base}/facilitate/c/{conversation.id}/live")
        click.echo(f"Its report (and PDF): {base}/c/{conversation.id}/report")
        if password:
            click.echo(f"Demo facilitator: {conversation.owner.email} / password {password}")
        else:  # shown once, when the demo was made
            email = conversation.owner.email
            click.echo(
                f"Demo facilitator: {email} (its password was printed when the demo was made; "
                f"`consult users set-password {email}` sets a new one)"
            )
    click.echo(f"Facilitators log in at {base}/facilitate/login")
    if environment_value("CONSULT_COOKIE_SECURE") is None:
        # The embedded server speaks plain HTTP; production runs behind TLS (README).
        app.config["SESSION_COOKIE_SECURE"] = False
    if dev:
        socketio.run(app, host=host, port=port, debug=True, allow_unsafe_werkzeug=True)
        return
    EmbeddedServer(app, host, port, access_log=access_log).run()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests).")
@with_appcontext
def worker(burst: bool) -> None:
    """Run analyses from the Redis queue (the production tier; needs CONSULT_REDIS_URL)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("CONSULT_REDIS_URL"):
        raise click.ClickException(
            "`consult worker` takes its jobs from Redis: set CONSULT_REDIS_URL. "
            "Without Redis, `consult serve` runs analyses in its own process."
        )
    ensure_schema()
    click.echo("Consult worker: waiting for analyses.")
    run_worker(app, burst=burst)


# --- Open data --------------------------------------------------------------------------


@click.command("export")
@click.argument("conversation_id")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--until", help="ISO time: keep only the vote events up to it (e.g. a report's cut-off)."
)
@click.option("--site", help="Address in summary.csv's url (default: CONSULT_BASE_URL).")
@with_appcontext
@needs_schema
def export_command(conversation_id: str, outdir: Path, until: str | None, site: str | None) -> None:
    """Write a consultation's open data files (Polis's export format) into OUTDIR."""
    with _refusals_as_errors():
        conversation = consultations.get_conversation(conversation_id)
    url = f"{(site or base_url()).rstrip('/')}/c/{conversation.id}"
    with _refusals_as_errors():
        written = write_export(conversation, outdir, url=url, until=_cutoff(until))
    for name in written:
        click.echo(str(outdir / name))


@click.command("import-polis")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--owner", "owner_email", help="Facilitator to own it; needed when there are several."
)
@click.option(
    "--attribution",
    default="",
    help="The attribution the data's licence asks for, kept with the report and every export.",
)
@with_appcontext
@needs_schema
def import_polis_command(folder: Path, owner_email: str | None, attribution: str) -> None:
    """Import a Polis export folder as a new (closed) consultation; prints its id last."""
    try:
        owner = import_owner(owner_email)
        data = read_polis_folder(folder, attribution)
    except (ServiceError, MalformedExport) as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    earlier = imported_before(data)
    if sys.stdout.isatty() and len(data.votes) > CHUNK:
        with click.progressbar(length=len(data.votes), label="Importing votes") as bar:
            conversation = import_polis(owner, data, progress=bar.update)
    else:
        conversation = import_polis(owner, data)
    participants = {vote.voter for vote in data.votes}
    click.echo(
        f"Imported {len(data.comments)} statements, {len(participants)} voters and "
        f"{len(data.votes)} vote events from {folder}."
    )
    if earlier:
        click.echo(
            f"Imported before from the same source as {', '.join(earlier)}: "
            "this is a new copy (the dashboard lists both under the same topic)."
        )
    if data.source_carried and not attribution.strip():
        click.echo(f"Source, as the export gave it: {data.source}")
    elif not attribution.strip():
        click.echo(
            "If the data's licence asks for attribution (Polis's open data is CC BY 4.0), "
            "import it with --attribution TEXT: it is kept with the report and every export."
        )
    click.echo(conversation.id)


def _cutoff(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise click.BadParameter(f"{raw!r} is not an ISO time", param_hint="--until") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
