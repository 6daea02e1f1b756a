"""Security headers on every answer, no inline script in any page, links under
CONSULT_BASE_URL whatever the Host header says, and ProxyFix only when configured."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import create_conversation, make_app
from flask import Flask, request
from flask.testing import FlaskClient
from helpers import analyse, plant_votes

from consult.extensions import db

API = "/api/v1/conversations"
BASE_URL = "https://consult.example.org"
EVIL = "evil.example"


def assert_security_headers(response) -> None:
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"].split()[0] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # The test client speaks plain HTTP.
    assert "Strict-Transport-Security" not in response.headers


def test_a_page_has_the_security_headers(client, conversation):
    response = client.get(f"/c/{conversation['id']}")
    assert response.status_code == 200
    assert_security_headers(response)


def test_an_api_answer_has_the_security_headers(client, conversation):
    response = client.get(f"{API}/{conversation['id']}")
    assert response.status_code == 200
    assert_security_headers(response)


def test_a_static_file_has_the_security_headers(client):
    with client.get("/static/js/live.js") as response:  # closes the file it streams
        assert response.status_code == 200
        assert_security_headers(response)


@pytest.mark.parametrize("path", ["/no/such/page", f"{API}/nope"])
def test_a_404_has_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_security_headers(response)


def test_a_400_has_the_security_headers(client, facilitator):
    response = client.post(
        API, data="[", content_type="application/json", headers=facilitator.headers
    )
    assert response.status_code == 400
    assert_security_headers(response)


def test_socketio_polling_has_the_security_headers(client):
    response = client.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- No inline script in any page ------------------------------------------------------


class InlineScripts(HTMLParser):
    """Collects <script> elements without src and on* event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append(f"<script> without src: {attrs}")
        self.found += [f"<{tag} {name}=…>" for name in names if name.startswith("on")]
        if any((value or "").strip().lower().startswith("javascript:") for value in names.values()):
            self.found.append(f"<{tag}> with a javascript: URL")
        if "style" in names:
            self.found.append(f"<{tag} style=…> (style-src 'self' blocks it)")


@pytest.fixture
def pages(app, client, facilitator) -> list[str]:
    """The main pages of a consultation with votes, an analysis and an outcome."""
    cid = create_conversation(client, facilitator, results_public=True)["id"]
    plant_votes(app, cid, 12)
    analyse(app, cid)
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    return [
        "/",
        f"/c/{cid}",
        f"/c/{cid}/votes",
        f"/c/{cid}/results",
        f"/c/{cid}/report",
        "/facilitate/",
        "/facilitate/new",
        f"/facilitate/c/{cid}",
        f"/facilitate/c/{cid}/moderate",
        f"/facilitate/c/{cid}/live",
        f"/facilitate/c/{cid}/present",
        f"/facilitate/c/{cid}/outcome",
        "/no/such/page",
    ]


def test_no_page_has_an_inline_script_or_handler(client, pages):
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        parser = InlineScripts()
        parser.feed(response.get_data(as_text=True))
        assert parser.found == [], path


def test_the_login_page_has_no_inline_script(client):
    parser = InlineScripts()
    parser.feed(client.get("/facilitate/login").get_data(as_text=True))
    assert parser.found == []


def test_no_template_has_an_inline_script_or_handler():
    """Every template, rendered by a test or not (partials, branches no test reaches)."""
    templates = Path(__file__).parent.parent / "templates"
    for template in templates.rglob("*.html"):
        parser = InlineScripts()
        parser.feed(template.read_text())
        assert parser.found == [], template


def test_the_live_pages_strings_survive_the_data_attribute(app, client, facilitator):
    cid = create_conversation(client, facilitator, results_public=True)["id"]
    html = client.get(f"/c/{cid}/results").get_data(as_text=True)

    class Strings(HTMLParser):
        value: str | None = None

        def handle_starttag(self, tag, attrs):
            if dict(attrs).get("id") == "live-strings":
                self.value = dict(attrs)["data-strings"]

    parser = Strings()
    parser.feed(html)
    strings = json.loads(parser.value)
    assert strings["agree"] == "Agree"
    assert "–" in strings["agreeShare"]


# --- HSTS and ProxyFix -----------------------------------------------------------------


@pytest.fixture
def proxied(database_url) -> Flask:
    """An app behind one trusted reverse proxy."""
    app = make_app(database_url, csrf=False, CONSULT_TRUSTED_PROXIES=1)
    with app.app_context():
        db.create_all()
    _add_address_route(app)
    return app


def _add_address_route(app: Flask) -> None:
    @app.get("/_test/client")
    def client_as_seen() -> dict[str, object]:
        return {"address": request.remote_addr, "secure": request.is_secure}


def test_hsts_is_sent_behind_a_trusted_tls_proxy(proxied):
    response = proxied.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= 15552000


def test_hsts_is_not_sent_over_plain_http(proxied, client):
    assert "Strict-Transport-Security" not in proxied.test_client().get("/").headers
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_is_sent_over_direct_tls(client):
    response = client.get("/", base_url="https://localhost")
    assert "Strict-Transport-Security" in response.headers


def test_forwarded_headers_are_ignored_by_default(database_url):
    app = make_app(database_url, csrf=False)
    _add_address_route(app)
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    response = app.test_client().get("/_test/client", headers=forged)
    assert response.json == {"address": "127.0.0.1", "secure": False}
    assert "Strict-Transport-Security" not in response.headers


def test_a_trusted_proxy_gives_the_real_client(proxied):
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"}
    response = proxied.test_client().get("/_test/client", headers=forwarded)
    # One trusted proxy: the last address it appended, not what the client claimed before.
    assert response.json == {"address": "203.0.113.9", "secure": True}


def test_trusted_proxies_come_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("CONSULT_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("CONSULT_BASE_URL", BASE_URL + "/")
    app = make_app(database_url, csrf=False)
    assert app.config["CONSULT_TRUSTED_PROXIES"] == 2
    assert app.config["CONSULT_BASE_URL"] == BASE_URL


# --- Links under CONSULT_BASE_URL, never the Host header --------------------------------


@pytest.fixture
def sited(database_url) -> Flask:
    app = make_app(database_url, csrf=False, CONSULT_BASE_URL=BASE_URL)
    with app.app_context():
        db.create_all()
    return app


def _urls(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _urls(item)
    elif isinstance(value, str) and "://" in value:
        yield value


def test_the_host_header_never_reaches_a_link(sited, facilitator):
    evil: FlaskClient = sited.test_client()
    host = {"Host": EVIL}
    headers = {**facilitator.headers, **host}
    made = evil.post(API, json={"topic": "Transport"}, headers=headers)
    cid = made.json["id"]
    answers = [
        made.json,
        evil.get(f"{API}/{cid}", headers=host).json,
        evil.get(API, headers=headers).json,
        evil.post(f"{API}/{cid}/invitations", json={"xids": ["ann"]}, headers=headers).json,
    ]
    urls = [url for answer in answers for url in _urls(answer)]
    assert urls, "the API answered no URL at all"
    assert all(url.startswith(f"{BASE_URL}/c/{cid}") for url in urls), urls
    assert all(EVIL not in json.dumps(answer) for answer in answers)

    summary = evil.get(f"{API}/{cid}/export/summary.csv", headers=headers).get_data(as_text=True)
    assert dict(csv.reader(io.StringIO(summary)))["url"] == f"{BASE_URL}/c/{cid}"


def test_the_facilitators_pages_and_csv_use_the_base_url(sited, facilitator):
    evil = sited.test_client()
    cid = create_conversation(evil, facilitator)["id"]
    login = {"email": facilitator.email, "password": facilitator.password}
    evil.post("/facilitate/login", data=login, headers={"Host": EVIL})
    page = evil.get(f"/facilitate/c/{cid}", headers={"Host": EVIL}).get_data(as_text=True)
    assert f"{BASE_URL}/c/{cid}" in page
    assert EVIL not in page
    links = evil.post(f"/facilitate/c/{cid}/links", data={"xids": "ann"}, headers={"Host": EVIL})
    rows = list(csv.reader(io.StringIO(links.get_data(as_text=True))))
    assert rows[1][1].startswith(f"{BASE_URL}/c/{cid}?")


def test_without_a_base_url_links_use_the_local_default(client, conversation):
    response = client.get(f"{API}/{conversation['id']}", headers={"Host": EVIL})
    assert response.json["url"] == f"http://127.0.0.1:5000/c/{conversation['id']}"


def test_the_websocket_origin_of_the_base_url_is_allowed(sited):
    policy = sited.test_client().get("/").headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://consult.example.org;" in policy
