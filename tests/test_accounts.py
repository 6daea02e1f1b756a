"""Facilitators' logins end on the server; API tokens are named, expire, and can be revoked."""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import make_facilitator
from sqlalchemy import select, update

from consult.extensions import db
from consult.models import ApiToken, LoginSession, utcnow

API = "/api/v1/conversations"
DASHBOARD = "/facilitate/"


def log_in(app, who):
    client = app.test_client()
    response = client.post("/facilitate/login", data={"email": who.email, "password": who.password})
    assert response.status_code == 302
    return client


def session_cookie(client) -> str:
    return client.get_cookie("consult_session").value


def with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("consult_session", value)
    return client


def is_logged_in(client) -> bool:
    return client.get(DASHBOARD).status_code == 200


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, facilitator):
    browser = log_in(app, facilitator)
    copied = session_cookie(browser)
    assert is_logged_in(with_cookie(app, copied))

    assert browser.post("/facilitate/logout").status_code == 302

    assert not is_logged_in(browser)
    assert not is_logged_in(with_cookie(app, copied))
    with app.app_context():
        assert db.session.scalar(select(LoginSession)) is None


def test_a_login_ends_when_it_expires(app, facilitator):
    browser = log_in(app, facilitator)
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert not is_logged_in(browser)


def test_the_cookie_holds_a_random_key_not_the_user_id(app, facilitator):
    """A cookie naming the account (as before logins were kept on the server) logs nobody in."""
    browser = log_in(app, facilitator)
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        stored = serializer.loads(session_cookie(browser))
        forged = serializer.dumps({"user_id": facilitator.id})
    assert set(stored) == {"login", "_permanent"}
    assert not is_logged_in(with_cookie(app, forged))


def logins_listed(client) -> str:
    page = client.get("/facilitate/account").get_data(as_text=True)
    return page[page.index('id="logins"') : page.index('id="tokens"')]


def test_log_out_everywhere_else_keeps_this_browser(app, facilitator):
    here, there = log_in(app, facilitator), log_in(app, facilitator)
    listed = logins_listed(here)
    assert listed.count("<tr>") == 1 + 2  # the head and two logins
    assert listed.count("(this browser)") == 1

    here.post("/facilitate/account/logins/end-others")

    assert is_logged_in(here)
    assert not is_logged_in(there)


def test_another_facilitators_logins_are_not_listed_nor_ended(app, facilitator):
    other = make_facilitator(app, "other@example.org")
    mine, theirs = log_in(app, facilitator), log_in(app, other)
    mine.post("/facilitate/account/logins/end-others")
    assert is_logged_in(theirs)
    assert logins_listed(mine).count("<tr>") == 1 + 1


def _token_from(page: str) -> str:
    match = re.search(r'<code class="secret">([^<]+)</code>', page)
    assert match, "the new token is shown"
    return match.group(1)


def test_a_token_made_on_the_account_page_works_until_revoked(app, facilitator):
    browser = log_in(app, facilitator)
    made = browser.post("/facilitate/account/tokens", data={"name": "Dashboard", "days": "30"})
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    token = _token_from(made.get_data(as_text=True))
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().post(API, json={"topic": "T"}, headers=bearer).status_code == 201
    # The token is shown once: the account page lists it by name, without the secret.
    listed = browser.get("/facilitate/account").get_data(as_text=True)
    assert "Dashboard" in listed
    assert token not in listed

    with app.app_context():
        row = db.session.scalar(select(ApiToken).filter_by(name="Dashboard"))
        assert row.last_used_at is not None
        assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)
        token_id = row.id
    assert browser.post(f"/facilitate/account/tokens/{token_id}/revoke").status_code == 302

    assert app.test_client().post(API, json={"topic": "T"}, headers=bearer).status_code == 401
    assert "Dashboard" not in browser.get("/facilitate/account").get_data(as_text=True)


def test_a_token_lasts_only_a_listed_number_of_days(app, facilitator):
    browser = log_in(app, facilitator)
    refused = browser.post("/facilitate/account/tokens", data={"name": "x", "days": "100000"})
    assert refused.status_code == 400
    assert "Choose how long the token lasts." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ApiToken).filter_by(name="x")) is None


def test_an_expired_token_opens_nothing(app, client, facilitator):
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.post(API, json={"topic": "T"}, headers=facilitator.headers)
    assert response.status_code == 401


def test_nobody_revokes_another_facilitators_token(app, client, facilitator):
    other = log_in(app, make_facilitator(app, "other@example.org"))
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).filter_by(user_id=facilitator.id))
    other.post(f"/facilitate/account/tokens/{token_id}/revoke")
    assert client.post(API, json={"topic": "T"}, headers=facilitator.headers).status_code == 201


def test_the_command_line_names_lists_and_revokes_tokens(app, client, facilitator):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "token", facilitator.email, "--name", "ci", "--days", "7"])
    assert made.exit_code == 0, made.output
    bearer = {"Authorization": f"Bearer {made.output.strip()}"}

    listing = runner.invoke(args=["users", "tokens", facilitator.email]).output
    line = next(line for line in listing.splitlines() if "'ci'" in line)
    assert "last used never" in line
    token_id = line.split()[0]
    assert client.post(API, json={"topic": "T"}, headers=bearer).status_code == 201

    revoked = runner.invoke(args=["users", "revoke-token", facilitator.email, token_id])
    assert revoked.exit_code == 0, revoked.output
    assert client.post(API, json={"topic": "T"}, headers=bearer).status_code == 401
    assert runner.invoke(args=["users", "revoke-token", facilitator.email, token_id]).exit_code == 1
    # A newer token never takes the revoked one's id: the same command again revokes nothing.
    newer = runner.invoke(args=["users", "token", facilitator.email, "--name", "next"])
    listing = runner.invoke(args=["users", "tokens", facilitator.email]).output
    newer_id = next(line for line in listing.splitlines() if "'next'" in line).split()[0]
    assert int(newer_id) > int(token_id)
    assert runner.invoke(args=["users", "revoke-token", facilitator.email, token_id]).exit_code == 1
    newer_bearer = {"Authorization": f"Bearer {newer.output.strip()}"}
    assert client.post(API, json={"topic": "T"}, headers=newer_bearer).status_code == 201
    too_long = runner.invoke(args=["users", "token", facilitator.email, "--days", "400"])
    assert too_long.exit_code == 1
    assert "1 to 366 days" in too_long.output
