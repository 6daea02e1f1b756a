"""Rate limits on the real app and the real Flask-Limiter: 429 with Retry-After past a limit,
never within a normal session, off with CONSULT_RATELIMIT_ENABLED=0, shared through Redis."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from conftest import create_conversation, join, make_app, make_facilitator, require_service
from flask import Flask
from flask.testing import FlaskClient
from helpers import DISTINCT_STATEMENTS
from limits import parse_many
from redis import Redis
from redis.exceptions import RedisError

from consult import security, vote_limits
from consult.services import users
from consult.services.errors import Unauthenticated

API = "/api/v1/conversations"
REDIS_URL = "redis://127.0.0.1:6379"
OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Callable[..., Flask]:
    """Apps with these settings on the `app` fixture's database (which cleans up after).

    The vote limits' windows are aligned to the clock: a test that starts in the last
    seconds of a minute (or an hour) would see its counts reset half-way, so it waits for
    the next minute to begin.
    """
    left = 60 - time.time() % 60
    if left < FRESH_WINDOW_SECONDS:
        time.sleep(left + 0.1)
    return lambda **limits: make_app(database_url, csrf=False, **limits)


FRESH_WINDOW_SECONDS = 10  # the longest a test here takes to count its votes


def vote(client: FlaskClient, cid: str, headers: dict[str, str], statement_id: int) -> Any:
    return client.post(
        f"{API}/{cid}/votes", json={"statement_id": statement_id, "vote": 1}, headers=headers
    )


def statement_ids(client: FlaskClient, cid: str) -> list[int]:
    listed = client.get(f"{API}/{cid}/statements?per_page=200").json["statements"]
    return [s["id"] for s in listed]


def assert_rate_limited_json(response: Any) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    error = response.json["error"]
    assert error["code"] == "too_many_requests"
    assert error["retry_after"] >= 1
    assert "try again" in error["message"]


def test_api_votes_past_the_limit_are_429_in_the_json_error_shape(limited_app):
    app = limited_app(CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT="3 per minute")
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    voter = join(client, cid)
    first = statement_ids(client, cid)[0]
    for _ in range(3):
        assert vote(client, cid, voter, first).status_code == 201
    assert_rate_limited_json(vote(client, cid, voter, first))


def test_page_votes_past_the_limit_are_a_readable_page(limited_app):
    app = limited_app(CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT="2 per minute")
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    first = statement_ids(client, cid)[0]
    form = {"statement_id": str(first), "vote": "agree"}
    # The first vote makes the participant (the limit on new participants counts that one).
    for _ in range(3):
        assert client.post(f"/c/{cid}/vote", data=form).status_code == 302
    refused = client.post(f"/c/{cid}/vote", data=form)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert int(refused.headers["Retry-After"]) >= 1
    page = refused.get_data(as_text=True)
    assert "Please slow down" in page
    assert "try again in" in page


def test_new_participants_per_address_count_across_api_and_pages(limited_app):
    app = limited_app(CONSULT_RATELIMIT_PARTICIPANTS_PER_IP="2 per minute")
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    first = statement_ids(client, cid)[0]
    joined = join(client, cid)
    browser = app.test_client()
    form = {"statement_id": str(first), "vote": "agree"}
    assert browser.post(f"/c/{cid}/vote", data=form).status_code == 302  # the second one
    assert_rate_limited_json(client.post(f"{API}/{cid}/participants"))
    assert app.test_client().post(f"/c/{cid}/vote", data=form).status_code == 429
    # Those who joined go on voting; another address may still join.
    assert vote(client, cid, joined, first).status_code == 201
    assert browser.post(f"/c/{cid}/vote", data=form).status_code == 302
    other = client.post(f"{API}/{cid}/participants", environ_base=OTHER_ADDRESS)
    assert other.status_code == 201


def redis_settings() -> dict[str, str]:
    """Redis for the limits, with counters of this test's own; skips if there is no Redis."""
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisError:
        require_service(False, f"no Redis at {REDIS_URL}")
    prefix = "consult-test-" + secrets.token_hex(6)
    return {"CONSULT_REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_per_participant_and_per_address_limits_are_independent(limited_app, storage):
    app = limited_app(
        CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT="2 per minute",
        CONSULT_RATELIMIT_VOTES_PER_IP="5 per minute",
        **(redis_settings() if storage == "redis" else {}),
    )
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    first = statement_ids(client, cid)[0]
    alice, bob, carol = join(client, cid), join(client, cid), join(client, cid)
    assert [vote(client, cid, alice, first).status_code for _ in range(2)] == [201, 201]
    # Alice's limit is hers: Bob votes too, until the address as a whole reaches its limit.
    assert [vote(client, cid, bob, first).status_code for _ in range(2)] == [201, 201]
    assert [vote(client, cid, carol, first).status_code for _ in range(2)] == [201, 429]
    assert vote(client, cid, alice, first).status_code == 429
    # Another address is within its own limit.
    dave = join(client, cid)
    elsewhere = client.post(
        f"{API}/{cid}/votes",
        json={"statement_id": first, "vote": -1},
        headers=dave,
        environ_base=OTHER_ADDRESS,
    )
    assert elsewhere.status_code == 201


def test_statements_per_participant_are_limited(limited_app):
    app = limited_app(CONSULT_RATELIMIT_STATEMENTS_PER_PARTICIPANT="2 per minute")
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    author, other = join(client, cid), join(client, cid)
    texts = iter(DISTINCT_STATEMENTS[3:])

    def submit(headers: dict[str, str]) -> Any:
        return client.post(f"{API}/{cid}/statements", json={"text": next(texts)}, headers=headers)

    assert [submit(author).status_code for _ in range(2)] == [201, 201]
    assert_rate_limited_json(submit(author))
    assert submit(other).status_code == 201


def test_refused_statements_do_not_use_up_the_participants_limit(limited_app):
    """A citizen offered a similar statement, or told theirs is too long, tries again."""
    app = limited_app(CONSULT_RATELIMIT_STATEMENTS_PER_PARTICIPANT="2 per minute")
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app), statement_max_length=60)["id"]
    author = join(client, cid)

    def submit(text: str, **body: Any) -> int:
        response = client.post(
            f"{API}/{cid}/statements", json={"text": text, **body}, headers=author
        )
        return response.status_code

    near = "Parking in the centre is to cheap!"
    refused = [submit(near), submit("Longer than sixty characters. " * 3), submit(near)]
    assert refused == [409, 400, 409]
    assert [submit(near, add_anyway=True), submit(DISTINCT_STATEMENTS[4])] == [201, 201]
    assert submit(DISTINCT_STATEMENTS[5]) == 429


def test_refused_statements_by_form_do_not_use_up_the_participants_limit(limited_app):
    app = limited_app(CONSULT_RATELIMIT_STATEMENTS_PER_PARTICIPANT="1 per minute")
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    first = statement_ids(client, cid)[0]
    voted = client.post(f"/c/{cid}/vote", data={"statement_id": first, "vote": "1"})  # joins
    assert voted.status_code == 302
    near = {"text": "Parking in the centre is to cheap!"}
    for _ in range(2):
        offered = client.post(f"/c/{cid}/statements", data=near, follow_redirects=True)
        assert "A similar statement exists" in offered.text
    added = client.post(
        f"/c/{cid}/statements", data={**near, "add_anyway": "1"}, follow_redirects=True
    )
    assert "Added. Writing it counts as agreeing with it." in added.text
    more = client.post(f"/c/{cid}/statements", data={"text": DISTINCT_STATEMENTS[4]})
    assert more.status_code == 429


def test_failed_logins_back_off_per_account_and_per_address(limited_app):
    app = limited_app(
        CONSULT_RATELIMIT_LOGINS_PER_ACCOUNT="2 per minute",
        CONSULT_RATELIMIT_LOGINS_PER_IP="4 per minute",
    )
    alice = make_facilitator(app, "alice@example.org")
    bob = make_facilitator(app, "bob@example.org")
    client = app.test_client()

    def log_in(email: str, password: str) -> int:
        form = {"email": email, "password": password}
        return client.post("/facilitate/login", data=form).status_code

    # A right password does not count; two wrong ones lock the account, even the right one.
    assert log_in(alice.email, alice.password) == 302
    assert [log_in(alice.email, "wrong password") for _ in range(2)] == [401, 401]
    refused = client.post(
        "/facilitate/login", data={"email": alice.email, "password": alice.password}
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Please slow down" in refused.get_data(as_text=True)
    # Bob is another account; the address is what stops the next guesses at him.
    assert log_in(bob.email, bob.password) == 302
    assert [log_in("nobody@example.org", "guess") for _ in range(2)] == [401, 401]
    assert log_in(bob.email, bob.password) == 429


def test_failed_api_tokens_are_limited_per_address(limited_app):
    app = limited_app(CONSULT_RATELIMIT_TOKENS_PER_IP="2 per minute")
    client = app.test_client()
    facilitator = make_facilitator(app)
    cid = create_conversation(client, facilitator)["id"]
    wrong = {"Authorization": "Bearer " + secrets.token_urlsafe(32)}
    assert client.get(f"{API}", headers=facilitator.headers).status_code == 200
    assert [client.get(f"{API}", headers=wrong).status_code for _ in range(2)] == [401, 401]
    assert_rate_limited_json(client.get(f"{API}", headers=wrong))
    assert_rate_limited_json(vote(client, cid, wrong, 1))
    # A valid token still works from that address: 256 random bits are not guessed by a
    # flood, and one broken script must not lock the office's facilitators out.
    assert client.get(f"{API}", headers=facilitator.headers).status_code == 200
    # Requests without a token are not token attempts; another address may still try.
    assert client.get(f"{API}/{cid}").status_code == 200
    other = client.get(f"{API}", headers=facilitator.headers, environ_base=OTHER_ADDRESS)
    assert other.status_code == 200


def test_a_normal_session_never_meets_the_default_limits(app, client, facilitator):
    # Texts far apart enough not to count as similar to each other.
    seeds = [f"Proposal {hashlib.sha256(str(n).encode()).hexdigest()[:24]}" for n in range(30)]
    cid = create_conversation(client, facilitator, seed_statements=seeds)["id"]
    ids = statement_ids(client, cid)
    assert len(ids) == 30
    assert client.get(f"/c/{cid}").status_code == 200
    for n, statement_id in enumerate(ids):
        time.sleep(0.4)  # brisk: a person reading each statement takes longer
        form = {"statement_id": str(statement_id), "vote": ["agree", "disagree", "pass"][n % 3]}
        assert client.post(f"/c/{cid}/vote", data=form).status_code == 302
        assert client.get(f"/c/{cid}").status_code == 200
    for text in ("Trams should run all night.", "Bicycles need more parking in the centre."):
        added = client.post(f"/c/{cid}/statements", data={"text": text, "add_anyway": "1"})
        assert added.status_code == 302


def test_a_class_behind_one_address_joins_within_the_defaults(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    first = statement_ids(client, cid)[0]
    for _ in range(60):
        assert vote(client, cid, join(client, cid), first).status_code == 201


def test_limits_are_off_with_ratelimit_enabled_0(limited_app, monkeypatch):
    monkeypatch.setenv("CONSULT_RATELIMIT_ENABLED", "0")
    app = limited_app(
        CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT="1 per minute",
        CONSULT_RATELIMIT_PARTICIPANTS_PER_IP="1 per minute",
        CONSULT_RATELIMIT_TOKENS_PER_IP="1 per minute",
    )
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    first = statement_ids(client, cid)[0]
    voters = [join(client, cid) for _ in range(3)]
    assert {vote(client, cid, voters[0], first).status_code for _ in range(5)} == {201}
    wrong = {"Authorization": "Bearer wrong"}
    assert {client.get(API, headers=wrong).status_code for _ in range(5)} == {401}


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting its verifications."""

    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.mark.parametrize("email", ["facilitator@example.org", "nobody@example.org"])
def test_a_login_costs_one_verification_known_account_or_not(app, facilitator, monkeypatch, email):
    counting = CountingHasher.from_parameters(profiles.CHEAPEST)
    security._dummy_hash(counting)  # made once per hasher, before counting starts
    counting.verifications = 0
    with app.app_context():
        monkeypatch.setattr(security, "_hasher", lambda: counting)
        with pytest.raises(Unauthenticated):
            users.authenticate(email, "not the password")
    assert counting.verifications == 1


def test_two_processes_on_one_redis_count_together(limited_app):
    shared = {**redis_settings(), "CONSULT_RATELIMIT_PARTICIPANTS_PER_IP": "3 per minute"}
    one, two = limited_app(**shared), limited_app(**shared)
    cid = create_conversation(one.test_client(), make_facilitator(one))["id"]
    answers = [
        app.test_client().post(f"{API}/{cid}/participants").status_code
        for app in (one, two, one, two)
    ]
    assert answers == [201, 201, 201, 429]


def test_two_processes_on_one_redis_count_votes_together(limited_app):
    shared = {
        **redis_settings(),
        "CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT": "3 per minute;4 per hour",
        "CONSULT_RATELIMIT_VOTES_PER_IP": "100 per minute",
    }
    one, two = limited_app(**shared), limited_app(**shared)
    client = one.test_client()
    cid = create_conversation(client, make_facilitator(one))["id"]
    first = statement_ids(client, cid)[0]
    voter = join(client, cid)
    answers = [
        vote(app.test_client(), cid, voter, first).status_code for app in (one, two, one, two)
    ]
    assert answers == [201, 201, 201, 429]
    hour_left = 3600 - time.time() % 3600
    refused = vote(two.test_client(), cid, voter, first)
    assert_rate_limited_json(refused)
    # The minute's window broke first, the hour's now too: wait for the hour, whose window
    # ends at the top of the hour (at least 50 s away: the fixture started a fresh minute).
    assert hour_left - 2 <= int(refused.headers["Retry-After"]) <= hour_left + 1


def test_votes_go_through_when_redis_is_unreachable(limited_app):
    app = limited_app(
        CONSULT_REDIS_URL="redis://127.0.0.1:9",  # the discard port: nothing listens
        CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT="1 per minute",
    )
    client = app.test_client()
    cid = create_conversation(client, make_facilitator(app))["id"]
    first = statement_ids(client, cid)[0]
    voter = join(client, cid)
    assert [vote(client, cid, voter, first).status_code for _ in range(3)] == [201] * 3


def batched_counts(prefix: str) -> vote_limits.BatchedCounts:
    """Counts as one web process keeps them, with no background flush during the test."""
    script = Redis.from_url(REDIS_URL).register_script(vote_limits._ADD_COUNTS)
    return vote_limits.BatchedCounts(script, prefix, flush_every=3600)


def redis_total(prefix: str) -> int:
    redis = Redis.from_url(REDIS_URL)
    return sum(int(redis.get(key)) for key in redis.scan_iter(f"{prefix}:*"))


def test_vote_counts_far_from_their_limit_reach_redis_in_one_batch():
    prefix = redis_settings()["RATELIMIT_KEY_PREFIX"]
    counts = batched_counts(prefix)
    windows = [("participant:1", parse_many("1000 per day")[0])]
    assert [counts.count(windows) for _ in range(20)] == [0] * 20
    assert redis_total(prefix) == 0  # nothing sent yet: no round trip per vote
    counts.flush()
    assert redis_total(prefix) == 20


def test_processes_sharing_a_limit_pass_it_by_at_most_a_tenth_each():
    prefix = redis_settings()["RATELIMIT_KEY_PREFIX"]
    one, two = batched_counts(prefix), batched_counts(prefix)
    windows = [("participant:1", parse_many("40 per day")[0])]
    answers = [(one, two)[n % 2].count(windows) for n in range(60)]
    accepted = answers.index(next(a for a in answers if a))
    assert 40 <= accepted <= 40 + 2 * 3  # two processes, a tenth of 40 is 4: 3 unsent each
    assert all(answers[accepted:])  # refused from then on, in both processes
    assert all(0 < a <= 24 * 3600 for a in answers[accepted:])
    one.flush()
    two.flush()
    assert redis_total(prefix) == 60
