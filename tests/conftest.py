"""Fixtures: a fresh app and database per test, on SQLite or on a real PostgreSQL; a browser.

The database is chosen by CONSULT_TEST_DATABASE: unset or "sqlite" (a file per test), or
"postgresql" (one uniquely named database per run on CONSULT_TEST_POSTGRES_URL, tables
truncated after each test). Tests that need a service this machine lacks skip with the
reason, unless CONSULT_TEST_REQUIRE_SERVICES=1 (as in .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from consult import create_app
from consult.extensions import db
from consult.services import api_tokens, users

if TYPE_CHECKING:  # imported by the fixtures that use them: other tests run without
    from playwright.sync_api import Browser, Page

POSTGRES_ADMIN_URL = os.environ.get(
    "CONSULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def require_service(available: bool, reason: str) -> None:
    """Skip (a newcomer's laptop) or fail (CI) when a real service the test needs is missing."""
    if available:
        return
    if os.environ.get("CONSULT_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def _postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_ADMIN_URL, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 -- any failure means "not here"
        return False
    finally:
        engine.dispose()


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; yields its URL."""
    require_service(_postgres_reachable(), f"no PostgreSQL at {POSTGRES_ADMIN_URL}")
    name = "consult_test_" + secrets.token_hex(6)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the whole run; tests truncate its tables after themselves."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, of the kind this run tests."""
    if test_database() == "postgresql":
        with new_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def test_database() -> str:
    return os.environ.get("CONSULT_TEST_DATABASE", "sqlite")


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if test_database() == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'consult.db'}"


_apps_made: list[Flask] = []


def make_app(database_url: str, *, csrf: bool, **settings: Any) -> Flask:
    """An app on `database_url`; its connections are closed after the test.

    Analyses do not run by themselves unless a test asks (CONSULT_ANALYSIS="thread").
    """
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": csrf,
            "SESSION_COOKIE_SECURE": False,
            "CONSULT_ANALYSIS": "off",
            "CONSULT_PASSWORD_HASHING": "cheapest",  # production keeps the strong default
            **settings,
        }
    )
    _apps_made.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while _apps_made:
        dispose_when_idle(_apps_made.pop())


def dispose_when_idle(app: Flask, wait: float = 10.0) -> None:
    """Close the app's pooled connections once none is in use (`wait` seconds at most).

    `dispose` closes only the connections in the pool: one a server thread still holds (a
    browser's last request, still running when the test ended) went back to the discarded
    pool later and was never closed; its ResourceWarning, an error here, failed whichever
    test ran when it was collected (stop 25's CI, on PostgreSQL).
    """
    with app.app_context():
        deadline = time.monotonic() + wait
        in_use = getattr(db.engine.pool, "checkedout", lambda: 0)  # QueuePool counts them
        while in_use() and time.monotonic() < deadline:
            time.sleep(0.02)
        db.engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app with its schema; CSRF is off for the test client (tests of CSRF turn it on)."""
    app = make_app(database_url, csrf=False)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server(app: Flask, database_url: str) -> Iterator[str]:
    """A real threaded HTTP server on the same database as `app`, with CSRF on and the
    analysis runner in a thread; its base URL."""
    served = make_app(
        database_url, csrf=True, CONSULT_ANALYSIS="thread", CONSULT_ANALYSIS_DEBOUNCE=0.3
    )
    runner = served.extensions["consult.runner"]
    runner.start()  # analyses run as under `consult serve`
    server = make_server("127.0.0.1", 0, closing_responses(served), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    served.config["CONSULT_BASE_URL"] = base_url  # as `consult serve` does for itself
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=10)
    runner.stop()
    dispose_when_idle(served)


def closing_responses(app: Any) -> Callable[..., Iterable[bytes]]:
    """`app`, its responses closed however the client leaves.

    werkzeug's server skips a response's close() when the client resets the connection
    while the server drains it after the response (a browser leaving a page does): a static
    file stays open, and its ResourceWarning, an error here, fails whichever test runs when
    it is collected. A generator's finally runs even when it is dropped unfinished.
    """

    def served(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return _closed_when_done(app(environ, start_response))

    return served


def _closed_when_done(response: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from response
    finally:
        if hasattr(response, "close"):
            response.close()


@dataclass
class Facilitator:
    id: int
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_facilitator(app: Flask, email: str = "facilitator@example.org") -> Facilitator:
    password = "correct horse battery"
    with app.app_context():
        user = users.create_user(email, password)
        return Facilitator(user.id, user.email, password, api_tokens.issue(user, name="tests"))


@pytest.fixture
def facilitator(app: Flask) -> Facilitator:
    return make_facilitator(app)


SEEDS = [
    "Buses should run every ten minutes.",
    "Cycle lanes should be separated from cars.",
    "Parking in the centre is too cheap.",
]


def create_conversation(client: FlaskClient, who: Facilitator, **fields: Any) -> dict[str, Any]:
    body = {"topic": "Transport", "seed_statements": SEEDS, **fields}
    response = client.post("/api/v1/conversations", json=body, headers=who.headers)
    assert response.status_code == 201, response.json
    return response.json


def join(client: FlaskClient, conversation_id: str, **body: Any) -> dict[str, str]:
    """Join as a participant; returns the Authorization header for its token."""
    response = client.post(f"/api/v1/conversations/{conversation_id}/participants", json=body)
    assert response.status_code in (200, 201), response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def conversation(client: FlaskClient, facilitator: Facilitator) -> dict[str, Any]:
    return create_conversation(client, facilitator)


@pytest.fixture
def analysed(app: Flask, client: FlaskClient, facilitator: Facilitator) -> str:
    """A consultation with two camps of 40 voters (tests/helpers.py), analysed once."""
    from helpers import DISTINCT_STATEMENTS, analyse, plant_votes

    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=40)
    analyse(app, cid)
    return cid


# -- browser tests: one Chromium per module, a new context (fresh cookies) per page --------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for a test module (the system's; Playwright's own download is not used)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover -- a newcomer without the test extra
        sync_playwright = None
    require_service(sync_playwright is not None, "the playwright package is not installed")
    require_service(os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Make a page in a new browser context (its own cookies) on the live server.

    Every context is closed after the test, and the test fails if any page threw an uncaught
    JavaScript error, the server answered 5xx, something the page asked for was not found,
    or a page's last state breaks an axe-core rule.
    """
    from accessibility import assert_accessible, assert_accessible_as_shown_without_scripts

    contexts = []
    without_scripts: set[int] = set()  # axe-core is a script: checked from a copy there
    problems: list[str] = []

    def check(status: int, url: str) -> None:
        if status >= 500 or (status == 404 and not url.endswith("/favicon.ico")):
            problems.append(f"{status}: {url}")

    def make(**options: Any) -> Page:
        context = browser.new_context(base_url=live_server, **options)
        if options.get("java_script_enabled") is False:
            without_scripts.add(id(context))
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: problems.append(f"uncaught: {error.error}"))
        context.on("response", lambda response: check(response.status, response.url))
        contexts.append(context)
        page = context.new_page()
        page.on("response", lambda response: remember_document_type(page, response))
        return page

    document_types: dict[int, str] = {}  # page -> its document's content type

    def remember_document_type(page: Page, response: Any) -> None:
        # page.evaluate never answers where JavaScript is off: the response says instead.
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            document_types[id(page)] = response.headers.get("content-type", "")

    yield make
    try:
        for context in contexts:
            for page in context.pages:
                # Every page's last state passes axe-core too (tests check earlier states).
                if id(context) in without_scripts:
                    if document_types.get(id(page), "").startswith("text/html"):
                        assert_accessible_as_shown_without_scripts(
                            browser, page, "the test's last state"
                        )
                elif page.evaluate("document.contentType") == "text/html":
                    assert_accessible(page, "the test's last state")
    finally:
        for context in contexts:
            context.close()
    assert not problems, problems
