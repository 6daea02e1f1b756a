"""Facilitators' pages: login, create, settings, sharing, the moderation queue's actions
(the moderation page itself: `test_moderation_page`)."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import create_conversation, join, make_app, make_facilitator
from helpers import (
    distinct_text,
    log_in,
    log_in_with_csrf,
    page_csrf_token,
    quoted,
    shown_statement_id,
)

from consult.models import DEFAULT_STATEMENT_MAX_LENGTH

API = "/api/v1/conversations"


def test_pages_need_a_login(client):
    response = client.get("/facilitate/")
    assert response.status_code == 302
    assert "/facilitate/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, facilitator):
    response = client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": "wrong"}
    )
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
        "/facilitate/new",
        data={"topic": "", "description": "Kept text", "statement_max_length": "280"},
    )
    assert response.status_code == 400
    assert b"Kept text" in response.data
    assert client.get(API, headers=facilitator.headers).json["conversations"] == []


def test_saving_settings_changes_texts_but_never_closes_the_consultation(
    client, facilitator, conversation
):
    log_in(client, facilitator)
    cid = conversation["id"]
    assert b'name="is_open"' not in client.get(f"/facilitate/c/{cid}").data
    client.post(
        f"/facilitate/c/{cid}",
        data={
            "topic": "Transport 2",
            "question": "",
            "description": "",
            "statement_max_length": "280",
        },
    )
    data = client.get(f"{API}/{cid}").json
    assert data["topic"] == "Transport 2"
    assert data["is_open"] is True


def test_settings_saved_by_someone_else_meanwhile_are_not_undone(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
    drawn_from = re.search(r'name="edited_from" value="(\w+)"', page).group(1)
    form = {"topic": "Transport", "question": "", "description": "", "statement_max_length": "280"}
    # Another facilitator (the API, here) saves first.
    changed = client.patch(
        f"{API}/{cid}", json={"topic": "Their title"}, headers=facilitator.headers
    )
    assert changed.status_code == 200
    stale = client.post(
        f"/facilitate/c/{cid}", data={**form, "strict_moderation": "on", "edited_from": drawn_from}
    )
    assert stale.status_code == 409
    assert "Someone else saved this consultation's settings" in stale.get_data(as_text=True)
    assert 'value="Their title"' in stale.get_data(as_text=True)  # the form shows what is saved
    data = client.get(f"{API}/{cid}").json
    assert (data["topic"], data["strict_moderation"]) == ("Their title", False)
    # Closing meanwhile is not a change the form could undo: it does not refuse the form.
    closed = client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    assert closed.status_code == 200
    fresh = re.search(r'name="edited_from" value="(\w+)"', stale.get_data(as_text=True)).group(1)
    saved = client.post(
        f"/facilitate/c/{cid}", data={**form, "strict_moderation": "on", "edited_from": fresh}
    )
    assert saved.status_code == 302
    assert client.get(f"{API}/{cid}").json["strict_moderation"] is True


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"topic": "  "}, "“Title” must not be empty."),
        (
            {"statement_max_length": "0"},
            "“Longest statement, in characters” must be a whole number from 1 to 2000.",
        ),
        ({"statement_max_length": "5000"}, "from 1 to 2000."),
        ({"analysis_profile": "bogus"}, "“How opinion groups are found”"),
    ],
)
def test_refused_settings_name_the_box_as_the_form_labels_it(
    client, facilitator, conversation, changes, said
):
    log_in(client, facilitator)
    cid = conversation["id"]
    form = {"topic": "Transport", "question": "Typed, not saved", "statement_max_length": "280"}
    page = client.post(f"/facilitate/c/{cid}", data={**form, **changes})
    assert page.status_code == 400  # the page again, with what was typed
    text = page.get_data(as_text=True)
    assert said in text
    assert 'value="Typed, not saved"' in text
    for internal in ("topic must", "statement_max_length must", "analysis_profile must"):
        assert internal not in text
    assert "9007199254740992" not in text
    assert client.get(f"{API}/{cid}").json["topic"] == "Transport"


def test_closing_and_reopening_are_confirmed_first(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    manage = client.get(f"/facilitate/c/{cid}").data
    assert f'href="/facilitate/c/{cid}/close">Close consultation</a>'.encode() in manage
    confirm = client.get(f"/facilitate/c/{cid}/close")
    assert "Close “Transport”?".encode() in confirm.data
    assert b'<button type="submit" class="reject">Close consultation</button>' in confirm.data
    assert client.get(f"{API}/{cid}").json["is_open"] is True  # asking is not closing
    closed = client.post(f"/facilitate/c/{cid}/close", follow_redirects=True)
    assert b"The consultation is closed" in closed.data
    assert b"Reopen consultation</a>" in closed.data
    assert client.get(f"{API}/{cid}").json["is_open"] is False
    # Closing again, or asking to, changes nothing and goes back to the page.
    assert client.post(f"/facilitate/c/{cid}/close").status_code == 302
    assert client.get(f"/facilitate/c/{cid}/close").status_code == 302
    assert "Reopen “Transport”?".encode() in client.get(f"/facilitate/c/{cid}/reopen").data
    client.post(f"/facilitate/c/{cid}/reopen")
    assert client.get(f"{API}/{cid}").json["is_open"] is True


def test_closing_needs_the_owner_the_csrf_token_and_a_known_action(
    app, database_url, client, facilitator, conversation
):
    cid = conversation["id"]
    assert client.post(f"/facilitate/c/{cid}/close").status_code == 302  # to the login
    log_in(client, make_facilitator(app, "other@example.org"))
    assert client.post(f"/facilitate/c/{cid}/close").status_code == 404
    guarded = make_app(database_url, csrf=True).test_client()
    log_in_with_csrf(guarded, facilitator)
    assert guarded.post(f"/facilitate/c/{cid}/close").status_code == 400
    assert guarded.get(f"/facilitate/c/{cid}/explode").status_code == 404
    assert guarded.post(f"/facilitate/c/{cid}/explode").status_code in (404, 405)
    token = page_csrf_token(guarded, f"/facilitate/c/{cid}/close")
    assert guarded.post(f"/facilitate/c/{cid}/close", data={"csrf_token": token}).status_code == 302
    assert client.get(f"{API}/{cid}").json["is_open"] is False


def test_the_live_page_and_the_presentation_say_when_the_consultation_is_closed(
    client, facilitator, conversation
):
    log_in(client, facilitator)
    cid = conversation["id"]
    live, present = f"/facilitate/c/{cid}/live", f"/facilitate/c/{cid}/present"
    hidden = 'id="closed-notice" hidden>'
    assert hidden in client.get(live).get_data(as_text=True)
    assert hidden in client.get(present).get_data(as_text=True)
    assert client.get(f"{live}.json").json["stats"]["is_open"] is True
    client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    shown = 'id="closed-notice" >'
    assert f"{shown}<strong>This consultation is closed.</strong>" in client.get(live).text
    # The room watching the screen is told too: nobody should go on trying to vote.
    notice = "This consultation is closed: it takes no more votes or statements."
    assert f"{shown}{notice}" in client.get(present).get_data(as_text=True)
    # The pages' numbers say so too: an open page follows without a reload (live.js).
    assert client.get(f"{live}.json").json["stats"]["is_open"] is False


def test_the_new_consultation_form_offers_the_default_statement_length(client, facilitator):
    log_in(client, facilitator)
    form = client.get("/facilitate/new").get_data(as_text=True)
    field = re.search(r'<input id="statement_max_length"[^>]*>', form, re.S).group()
    assert f'value="{DEFAULT_STATEMENT_MAX_LENGTH}"' in field
    # A form that leaves the field out (no browser does) gets the same default.
    client.post("/facilitate/new", data={"topic": "Short", "is_open": "on"})
    [conversation] = client.get(API, headers=facilitator.headers).json["conversations"]
    assert conversation["statement_max_length"] == DEFAULT_STATEMENT_MAX_LENGTH == 280


def test_a_new_consultation_may_start_closed(client, facilitator):
    log_in(client, facilitator)
    client.post("/facilitate/new", data={"topic": "Later", "statement_max_length": "280"})
    [conversation] = client.get(API, headers=facilitator.headers).json["conversations"]
    assert conversation["is_open"] is False


def test_moderation_queue_accepts_and_rejects_in_bulk(client, facilitator):
    conversation = create_conversation(client, facilitator, strict_moderation=True)
    cid = conversation["id"]
    authors = [join(client, cid) for _ in range(6)]  # 5 statements a minute each at most
    ids = [
        client.post(
            f"{API}/{cid}/statements", json={"text": distinct_text(n)}, headers=authors[n % 6]
        ).json["id"]
        for n in range(1, 31)
    ]
    log_in(client, facilitator)
    queue = client.get(f"/facilitate/c/{cid}/moderate")
    assert b"30 statements, page 1 of 2" in queue.data
    assert b"Next page" in queue.data
    client.post(
        f"/facilitate/c/{cid}/moderate",
        data={"statement_ids": [str(i) for i in ids[:5]], "action": "accept"},
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
    client.post(
        f"/facilitate/c/{cid}/moderate", data={"statement_ids": [str(first)], "action": "meta"}
    )
    assert client.get(f"{API}/{cid}/statements").json["statements"][0]["is_meta"] is True
    for data in (
        {"statement_ids": ["x"], "action": "accept"},
        {"statement_ids": ["99999"], "action": "accept"},
        {"statement_ids": [str(first)], "action": "explode"},
        {"action": "accept"},
    ):
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
    shared = owner.post(
        f"/facilitate/c/{cid}/share", data={"email": other.email}, follow_redirects=True
    )
    assert b"colleague@example.org can now run this consultation" in shared.data
    assert client.get(f"/facilitate/c/{cid}").status_code == 200
    assert b"Transport" in client.get("/facilitate/").data


def test_facilitator_adds_statements_to_a_running_consultation(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    client.post(f"/facilitate/c/{cid}/seed", data={"seed_statements": "Trams\nFerries"})
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 5


def test_seed_near_an_existing_one_is_added_but_an_exact_repeat_is_refused(
    client, facilitator, conversation
):
    log_in(client, facilitator)
    cid = conversation["id"]
    near = {"seed_statements": "Parking in the centre is to cheap!"}
    client.post(f"/facilitate/c/{cid}/seed", data=near)
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4
    repeat = {"seed_statements": "PARKING in the centre is too cheap"}
    response = client.post(f"/facilitate/c/{cid}/seed", data=repeat, follow_redirects=True)
    assert (
        f"already here: {quoted('Parking in the centre is too cheap.')}".encode() in response.data
    )
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


def test_refused_lines_come_back_in_the_box_and_nothing_is_added(client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    typed = "Night trams every hour\nFerries to the islands\n" + "x" * 300
    response = client.post(
        f"/facilitate/c/{cid}/seed", data={"seed_statements": typed}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Line 3: text is 300 characters long" in page
    assert f'name="seed_statements" rows="4" required>{typed}</textarea>' in page
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3
    again = client.get(f"/facilitate/c/{cid}/moderate").get_data(as_text=True)
    assert "Night trams every hour" not in again  # once, not for good


def test_a_refused_box_too_large_for_the_cookie_is_not_kept_and_the_login_stays(
    client, facilitator, conversation
):
    """A browser drops a cookie over 4,096 bytes, and the facilitator's login with it: a
    box of Chinese lines is dropped instead, the refusal still said."""
    log_in(client, facilitator)
    cid = conversation["id"]
    lines = ["".join(chr(0x4E00 + (i * 7919 + n) % 3000) for i in range(250)) for n in range(8)]
    typed = "\n".join([*lines, "x" * 300])  # 2,308 characters; the last line is too long
    refused = client.post(f"/facilitate/c/{cid}/seed", data={"seed_statements": typed})
    [cookie] = [c for c in refused.headers.getlist("Set-Cookie") if "consult_session=" in c]
    assert len(cookie.split(";")[0]) <= 4096
    page = client.get(f"/facilitate/c/{cid}/moderate")
    assert page.status_code == 200  # still logged in
    assert "Line 9: text is 300 characters long" in page.get_data(as_text=True)
    assert lines[0] not in page.get_data(as_text=True)
    assert "The box was too long to keep until the next page" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Trams\n\nFerries\n\n  \ntrams!", f"Line 6 repeats line 1: {quoted('Trams')}"),
        ("Ferries\n\nparking in the centre is TOO cheap", "Line 3: This statement is already here"),
    ],
)
def test_a_refused_line_is_named_by_its_line_in_the_box(
    client, facilitator, conversation, typed, said
):
    log_in(client, facilitator)
    cid = conversation["id"]
    response = client.post(
        f"/facilitate/c/{cid}/seed", data={"seed_statements": typed}, follow_redirects=True
    )
    assert said in response.get_data(as_text=True)
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3


def test_logout_ends_the_session(client, facilitator):
    log_in(client, facilitator)
    assert client.get("/facilitate/").status_code == 200
    client.post("/facilitate/logout")
    assert client.get("/facilitate/").status_code == 302


def test_facilitator_downloads_personal_links_as_csv(client, facilitator, conversation):
    cid = conversation["id"]
    log_in(client, facilitator)
    assert b"Download invitation links (CSV)" in client.get(f"/facilitate/c/{cid}").data
    upload = (io.BytesIO("\ufeffcarol\nalice@example.org\n".encode()), "ids.txt")
    response = client.post(
        f"/facilitate/c/{cid}/links",
        data={"xids": "alice@example.org\n\n bob \n", "xids_file": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["xid", "url"]
    assert [row[0] for row in rows[1:]] == ["alice@example.org", "bob", "carol"]
    # Each link is a working personal link: its first vote makes the xid's participant.
    link = urlsplit(rows[2][1])
    client.post("/facilitate/logout")
    page = client.get(f"{link.path}?{link.query}").data
    assert b"not recognised" not in page
    client.post(f"/c/{cid}/vote", data={"statement_id": shown_statement_id(page), "vote": "1"})
    query = parse_qs(link.query)
    body = {"xid": query["xid"][0], "xid_signature": query["sig"][0]}
    # bob already exists, made by the vote through the link: 200, not 201.
    assert client.post(f"{API}/{cid}/participants", json=body).status_code == 200


def test_personal_links_need_ids(client, facilitator, conversation):
    cid = conversation["id"]
    log_in(client, facilitator)
    url = f"/facilitate/c/{cid}/links"
    response = client.post(url, data={"xids": " \n "}, follow_redirects=True)
    assert response.mimetype == "text/html"
    assert b"xids must be a non-empty list" in response.data
    binary = {"xids_file": (io.BytesIO(b"\xff\xfe\x00"), "ids.txt")}
    response = client.post(
        url, data=binary, content_type="multipart/form-data", follow_redirects=True
    )
    assert b"plain text in UTF-8" in response.data


def test_personal_links_are_refused_to_others(app, client, facilitator, conversation):
    cid = conversation["id"]
    visitor = client.post(f"/facilitate/c/{cid}/links", data={"xids": "alice"})
    assert visitor.status_code == 302
    assert "/facilitate/login" in visitor.headers["Location"]
    log_in(client, make_facilitator(app, "other@example.org"))
    assert client.post(f"/facilitate/c/{cid}/links", data={"xids": "alice"}).status_code == 404
