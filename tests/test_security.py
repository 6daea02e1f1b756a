"""CSRF on forms, inert user text, cookie settings, secrets from configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import join, make_app
from helpers import shown_statement_id

from consult import create_app
from consult.extensions import db
from consult.security import hash_password, verify_password

API = "/api/v1/conversations"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def csrf_client(app, database_url):
    protected = make_app(database_url, csrf=True)
    return protected.test_client()


def csrf_token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def test_form_post_without_csrf_token_is_refused(csrf_client, conversation):
    cid = conversation["id"]
    response = csrf_client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"})
    assert response.status_code == 400
    assert b"Your session had expired, so your vote was not recorded." in response.data
    assert csrf_client.get(f"{API}/{cid}").json["counts"]["votes"] == 0


def test_form_post_with_csrf_token_is_accepted(csrf_client, conversation):
    cid = conversation["id"]
    page = csrf_client.get(f"/c/{cid}").data
    statement_id = shown_statement_id(page)
    response = csrf_client.post(
        f"/c/{cid}/vote",
        data={"statement_id": statement_id, "vote": "1", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    assert csrf_client.get(f"{API}/{cid}").json["counts"]["votes"] == 1


def test_login_form_needs_csrf_too(csrf_client, facilitator):
    response = csrf_client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    assert response.status_code == 400


def test_user_text_is_escaped_in_every_page(client, facilitator, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    response = client.post(f"{API}/{cid}/statements", json={"text": XSS}, headers=headers)
    assert response.status_code == 201
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    moderation = client.get(f"/facilitate/c/{cid}/moderate").data
    # Vote through the page on everything: one of these pages shows the statement.
    voting_pages = []
    while match := re.search(
        rb'id="statement-id" value="(\d+)"', page := client.get(f"/c/{cid}").data
    ):
        voting_pages.append(page)
        client.post(f"/c/{cid}/vote", data={"statement_id": match.group(1).decode(), "vote": "1"})
    history = client.get(f"/c/{cid}/votes").data
    escaped = b"&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"
    for page in [moderation, history, *voting_pages]:
        assert b"<script>alert" not in page
        assert b"<img src=x" not in page
    assert escaped in moderation
    assert escaped in history
    assert sum(escaped in page for page in voting_pages) == 1


def test_session_cookie_is_httponly_samesite_and_secure_by_default(database_url):
    app = make_app(database_url, csrf=True)
    app.config["SESSION_COOKIE_SECURE"] = True
    with app.app_context():
        db.create_all()
    client = app.test_client()
    response = client.get("/facilitate/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_secret_key_comes_from_configuration_or_the_instance_folder(tmp_path, monkeypatch):
    from consult.config import load_settings

    monkeypatch.setenv("CONSULT_SECRET_KEY", "from-the-environment")
    assert load_settings(str(tmp_path), None)["SECRET_KEY"] == "from-the-environment"
    monkeypatch.delenv("CONSULT_SECRET_KEY")
    generated = load_settings(str(tmp_path), None)["SECRET_KEY"]
    assert len(generated) == 64
    assert load_settings(str(tmp_path), None)["SECRET_KEY"] == generated  # kept, not regenerated
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_no_secret_is_written_in_the_code():
    source = Path(__file__).parents[1] / "consult"
    for path in source.rglob("*.py"):
        assert not re.search(r"SECRET_KEY\"?\s*[:=]\s*[\"'][^\"']+[\"']", path.read_text()), path


def test_production_hashes_passwords_strongly_and_tests_cheaply(database_url):
    strong = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    cheap = make_app(database_url, csrf=False)
    with strong.app_context():
        assert hash_password("a long password").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with cheap.app_context():
        made = hash_password("a long password")
        assert made.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    with strong.app_context():  # a strong process verifies a cheap hash by its own parameters
        assert verify_password(made, "a long password")
