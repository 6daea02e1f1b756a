"""Facilitators' pages: login, create, settings, sharing, moderation queue."""

from __future__ import annotations

import hashlib

from conftest import create_conversation, join, make_facilitator

API = "/api/v1/conversations"


def distinct_text(n: int) -> str:
    """Texts far apart enough not to count as near-duplicates of each other."""
    return f"Idea {hashlib.sha256(str(n).encode()).hexdigest()[:24]}"


def log_in(client, who):
    return client.post("/facilitate/login", data={"email": who.email, "password": who.password})


def test_pages_need_a_login(client):
    response = client.get("/facilitate/")
    assert response.status_code == 302
    assert "/facilitate/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, facilitator):
    response = client.post("/facilitate/login", data={"email": facilitator.email, "password": "wrong"})
    assert response.status_code == 401
    assert b"Wrong email or password." in response.data
    assert client.get("/facilitate/").status_code == 302


def test_login_redirects_only_within_the_site(client, facilitator):
    response = client.post(
        "/facilitate/login?next=//evil.example/x",
        data={"email": facilitator.email, "password": facilitator.password},
    )
    assert response.headers["Location"] == "/facilitate/"


def test_create_consultation_by_form(client, facilitator):
    log_in(client, facilitator)
    response = client.post(
        "/facilitate/new",
        data={
            "topic": "Parks",
            "question": "What should change?",
            "seed_statements": "More benches\n\n  Longer opening hours  \n",
            "is_open": "on",
            "strict_moderation": "on",
            "statement_max_length": "140",
        },
    )
    assert response.status_code == 302
    [conversation] = client.get(API, headers=facilitator.headers).json["conversations"]
    assert conversation["topic"] == "Parks"
    assert conversation["strict_moderation"] is True
    assert conversation["allow_statements"] is False  # unchecked box
    assert conversation["statement_max_length"] == 140
    assert conversation["counts"]["statements"] == 2
    assert response.headers["Location"].endswith(f"/facilitate/c/{conversation['id']}")


def test_bad_form_keeps_what_was_typed_and_creates_nothing(client, facilitator):
    log_in(client, facilitator)
    response = client.post(
        "/facilitate/new", data={"topic": "", "description": "Kept text", "statement_max_length": "280"}
    )
    assert response.status_code == 400
    assert b"Kept text" in response.data
    assert client.get(API, headers=facilitator.headers).json["conversations"] == []


def test_settings_change_closes_the_consultation(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    client.post(
        f"/facilitate/c/{cid}",
        data={"topic": "Transport 2", "question": "", "description": "", "statement_max_length": "280"},
    )
    data = client.get(f"{API}/{cid}").json
    assert data["topic"] == "Transport 2"
    assert data["is_open"] is False


def test_moderation_queue_accepts_and_rejects_in_bulk(client, facilitator):
    conversation = create_conversation(client, facilitator, strict_moderation=True)
    cid = conversation["id"]
    author = join(client, cid)
    ids = [
        client.post(f"{API}/{cid}/statements", json={"text": distinct_text(n)}, headers=author).json["id"]
        for n in range(1, 31)
    ]
    log_in(client, facilitator)
    queue = client.get(f"/facilitate/c/{cid}/moderate")
    assert b"30 statements, page 1 of 2" in queue.data
    assert b"Next page" in queue.data
    client.post(
        f"/facilitate/c/{cid}/moderate", data={"statement_ids": [str(i) for i in ids[:5]], "action": "accept"}
    )
    client.post(
        f"/facilitate/c/{cid}/moderate", data={"statement_ids": [str(ids[5])], "action": "reject"}
    )
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3 + 5
    rejected = client.get(f"/facilitate/c/{cid}/moderate?status=rejected").data
    assert distinct_text(6).encode() in rejected
    assert b"24 statements, page 1 of 1" in client.get(f"/facilitate/c/{cid}/moderate").data


def test_meta_marking_and_bad_moderation_requests(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    first = client.get(f"{API}/{cid}/statements").json["statements"][0]["id"]
    client.post(f"/facilitate/c/{cid}/moderate", data={"statement_ids": [str(first)], "action": "meta"})
    assert client.get(f"{API}/{cid}/statements").json["statements"][0]["is_meta"] is True
    for data in ({"statement_ids": ["x"], "action": "accept"}, {"statement_ids": ["99999"], "action": "accept"},
                 {"statement_ids": [str(first)], "action": "explode"}, {"action": "accept"}):
        response = client.post(f"/facilitate/c/{cid}/moderate", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert b"message-error" in response.data
    assert client.get(f"/facilitate/c/{cid}/moderate?page=0").status_code == 400
    assert client.get(f"/facilitate/c/{cid}/moderate?status=bogus").status_code == 400


def test_other_facilitators_see_nothing_until_shared(app, client, facilitator, conversation):
    other = make_facilitator(app, "colleague@example.org")
    cid = conversation["id"]
    log_in(client, other)
    assert client.get(f"/facilitate/c/{cid}").status_code == 404
    assert client.get(f"/facilitate/c/{cid}/moderate").status_code == 404
    assert b"None yet." in client.get("/facilitate/").data

    owner = app.test_client()
    log_in(owner, facilitator)
    shared = owner.post(f"/facilitate/c/{cid}/share", data={"email": other.email}, follow_redirects=True)
    assert b"colleague@example.org can now run this consultation" in shared.data
    assert client.get(f"/facilitate/c/{cid}").status_code == 200
    assert b"Transport" in client.get("/facilitate/").data


def test_facilitator_adds_statements_to_a_running_consultation(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    client.post(f"/facilitate/c/{cid}/seed", data={"seed_statements": "Trams\nFerries"})
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 5


def test_logout_ends_the_session(client, facilitator):
    log_in(client, facilitator)
    assert client.get("/facilitate/").status_code == 200
    client.post("/facilitate/logout")
    assert client.get("/facilitate/").status_code == 302
