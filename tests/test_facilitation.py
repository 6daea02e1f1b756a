"""Facilitators' pages: login, create, settings, sharing, moderation queue."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from urllib.parse import parse_qs, urlsplit

from conftest import create_conversation, join, make_app, make_facilitator
from helpers import xid_signature

API = "/api/v1/conversations"


def distinct_text(n: int) -> str:
    """Texts far apart enough not to count as similar to each other."""
    return f"Idea {hashlib.sha256(str(n).encode()).hexdigest()[:24]}"


def log_in(client, who):
    return client.post("/facilitate/login", data={"email": who.email, "password": who.password})


def page_csrf_token(client, path):
    """The CSRF token a page hands its forms (for an app with CSRF on)."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def log_in_with_csrf(client, who):
    token = page_csrf_token(client, "/facilitate/login")
    data = {"email": who.email, "password": who.password, "csrf_token": token}
    assert client.post("/facilitate/login", data=data).status_code == 302


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
    assert "already here: “Parking in the centre is too cheap.”".encode() in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


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
    statement_id = re.search(rb'name="statement_id" id="statement-id" value="(\d+)"', page).group(1)
    client.post(f"/c/{cid}/vote", data={"statement_id": statement_id.decode(), "vote": "1"})
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


# -- the moderation page --------------------------------------------------------------------


def submit(client, cid, headers, text):
    response = client.post(f"{API}/{cid}/statements", json={"text": text}, headers=headers)
    assert response.status_code in (201, 202), response.json
    return response.json["id"]


def statuses(client, facilitator, cid):
    """Each statement's moderation status, by id, as the API tells the facilitator."""
    rows = client.get(
        f"{API}/{cid}/statements?status=all&per_page=100", headers=facilitator.headers
    ).json["statements"]
    return {row["id"]: row["status"] for row in rows}


def test_a_row_shows_its_author_by_number_its_time_and_votes_never_an_xid(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]  # votes before moderation
    first = join(client, cid)
    xid = "alice@example.org"
    alice = join(client, cid, xid=xid, xid_signature=xid_signature(app, cid, xid))
    sid = submit(client, cid, alice, "Trams should run all night.")
    for voter in (first, join(client, cid)):
        vote = {"statement_id": sid, "vote": 1}
        assert client.post(f"{API}/{cid}/votes", json=vote, headers=voter).status_code == 201
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}/moderate").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td class=\"select-cell\">.*?</tr>", page, re.S).group(0)
    assert "Trams should run all night." in row
    assert "Participant 2" in row  # the second to join this consultation
    assert "3 agree, 0 disagree, 0 pass" in row  # the two voters and the author's own
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d+ \w+ \d{4}, \d\d:\d\d UTC', row)
    assert xid not in page
    assert alice["Authorization"].split()[1] not in page
    seeds = client.get(f"/facilitate/c/{cid}/moderate?status=accepted").get_data(as_text=True)
    assert "Facilitator" in seeds


def test_each_row_has_its_own_accept_and_reject(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    one, two = (submit(client, cid, author, distinct_text(n)) for n in (1, 2))
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}/moderate").data
    assert f'name="row" value="accept-{one}"'.encode() in page
    assert f'name="row" value="reject-{two}"'.encode() in page
    response = client.post(
        f"/facilitate/c/{cid}/moderate?status=unmoderated",
        # A ticked box elsewhere does not ride along with one row's button.
        data={"row": f"reject-{two}", "statement_ids": [str(one)], "action": "accept"},
        follow_redirects=True,
    )
    assert b"1 statement changed: rejected." in response.data
    assert statuses(client, facilitator, cid)[two] == "rejected"
    assert statuses(client, facilitator, cid)[one] == "unmoderated"


def test_select_all_applies_to_every_row_shown_without_javascript(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    ids = [submit(client, cid, author, distinct_text(n)) for n in range(1, 4)]
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}/moderate").get_data(as_text=True)
    assert 'id="select-all"' in page
    shown = re.findall(r'name="shown_ids" value="(\d+)"', page)
    assert sorted(map(int, shown)) == sorted(ids)
    response = client.post(
        f"/facilitate/c/{cid}/moderate",
        data={"select_all": "on", "shown_ids": shown, "action": "accept"},
        follow_redirects=True,
    )
    assert b"3 statements changed: accepted." in response.data
    assert [statuses(client, facilitator, cid)[i] for i in ids] == ["accepted"] * 3


def test_a_bulk_action_with_nothing_selected_says_so_and_changes_nothing(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    submit(client, cid, join(client, cid), distinct_text(1))
    log_in(client, facilitator)
    before = statuses(client, facilitator, cid)
    for data in ({"action": "accept"}, {"action": "reject", "shown_ids": list(map(str, before))}):
        response = client.post(f"/facilitate/c/{cid}/moderate", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert b'class="message message-error">Select at least one statement first.</p>' in (
            response.data
        )
    assert statuses(client, facilitator, cid) == before


def test_search_filters_the_queue_on_the_server_and_keeps_the_tab(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    tram = submit(client, cid, author, "Trams should run all night.")
    submit(client, cid, author, "Ferries need a second pier.")
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}/moderate?q=TRAMS%20should").get_data(as_text=True)
    assert "Trams should run all night." in page
    assert "Ferries need a second pier." not in page
    assert "1 statement containing “TRAMS should”" in page
    assert 'value="TRAMS should"' in page
    # After an action the facilitator is back on the same search.
    response = client.post(
        f"/facilitate/c/{cid}/moderate?status=unmoderated&q=trams",
        data={"row": f"accept-{tram}"},
    )
    assert response.headers["Location"].endswith("moderate?status=unmoderated&q=trams")
    response = client.post(f"/facilitate/c/{cid}/moderate?status=all&page=2", data={})
    assert response.headers["Location"].endswith("moderate?status=all&page=2")
    # Punctuation alone is looked for as typed, and is no wildcard.
    nothing = client.get(f"/facilitate/c/{cid}/moderate?status=all&q=%25").get_data(as_text=True)
    assert "No statements here contain “%”." in nothing


def test_the_status_label_never_breaks_and_the_buttons_differ(client, facilitator, conversation):
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{conversation['id']}/moderate?status=all").data
    assert b'<span class="moderation-status moderation-status-accepted">accepted</span>' in page
    assert b'value="accept" class="accept">Accept</button>' in page
    assert b'value="reject" class="reject">Reject</button>' in page
    with client.get("/static/css/facilitation.css") as response:
        css = response.get_data(as_text=True)
    assert re.search(r"\.moderation-status \{[^}]*white-space: nowrap", css)
    assert re.search(r"button\.accept \{[^}]*background: var\(--agree\)", css)
    assert re.search(r"button\.reject \{[^}]*background: #fff", css)


def test_junk_on_the_moderation_page_is_a_4xx_and_changes_nothing(
    client, facilitator, conversation
):
    cid = conversation["id"]
    log_in(client, facilitator)
    before = statuses(client, facilitator, cid)
    for query in ("?q=" + "x" * 201, "?status=bogus", "?page=-1"):
        assert client.get(f"/facilitate/c/{cid}/moderate{query}").status_code == 400
    some = str(next(iter(before)))
    for data in (
        {"row": "accept-x"},
        {"row": "explode-" + some},
        {"row": "accept"},
        {"statement_ids": [some], "action": ""},
        {"select_all": "on", "shown_ids": ["1e9"], "action": "accept"},
    ):
        response = client.post(f"/facilitate/c/{cid}/moderate", data=data, follow_redirects=True)
        assert response.status_code == 200, data
        assert b"message-error" in response.data
    response = client.post(f"/facilitate/c/{cid}/moderate?status=bogus", data={"row": "accept-1"})
    assert response.status_code == 400
    assert statuses(client, facilitator, cid) == before


def test_moderation_forms_need_the_csrf_token(app, database_url, facilitator, conversation):
    guarded = make_app(database_url, csrf=True).test_client()
    log_in_with_csrf(guarded, facilitator)
    cid = conversation["id"]
    some = next(iter(statuses(guarded, facilitator, cid)))
    response = guarded.post(f"/facilitate/c/{cid}/moderate", data={"row": f"reject-{some}"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert "Reload the page" in page
    assert "CSRF" not in page  # Flask-WTF's words are for developers
    assert statuses(guarded, facilitator, cid)[some] == "accepted"
    french = guarded.post(
        f"/facilitate/c/{cid}/moderate",
        data={"row": f"reject-{some}"},
        headers={"Accept-Language": "fr"},
    )
    assert "Ce formulaire a expiré" in french.get_data(as_text=True)


def test_the_manage_page_explains_invitation_links(client, facilitator):
    log_in(client, facilitator)
    anyone = create_conversation(client, facilitator)["id"]
    page = client.get(f"/facilitate/c/{anyone}").get_data(as_text=True)
    assert '<h2 id="links">Invitation links</h2>' in page
    assert "Anyone with the participants' link can take part." in page
    for point in ("What they are.", "Each link is personal and signed.", "How to get them."):
        assert f"<strong>{point}</strong>" in page
    invited = create_conversation(client, facilitator, require_xid=True)["id"]
    page = client.get(f"/facilitate/c/{invited}").get_data(as_text=True)
    assert "This consultation is by invitation only:" in page
    assert "Anyone with the participants' link can take part." not in page


def test_every_facilitator_page_links_its_stylesheet_and_script(client, facilitator, conversation):
    assert b"css/facilitation.css" in client.get("/facilitate/login").data
    log_in(client, facilitator)
    cid = conversation["id"]
    for path in ("", "new", "account", f"c/{cid}", f"c/{cid}/moderate", f"c/{cid}/close"):
        page = client.get(f"/facilitate/{path}").data
        assert b'href="/static/css/facilitation.css"' in page, path
        assert b'<script src="/static/js/facilitate.js" defer></script>' in page, path
    for path in (f"c/{cid}/bursts", f"c/{cid}/outcome", f"c/{cid}/live"):
        assert b"css/facilitation.css" in client.get(f"/facilitate/{path}").data, path


def test_the_participants_link_is_in_a_read_only_box_with_a_copy_button(
    client, facilitator, conversation
):
    cid = conversation["id"]
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
    box = re.search(r'<input id="participants-link"[^>]*>', page).group(0)
    assert "readonly" in box
    assert re.search(rf'value="https?://[^"/]+/c/{cid}"', box)
    assert '<label for="participants-link">' in page
    # Without JavaScript the button stays hidden: the box is there to select and copy.
    assert re.search(
        r'<button type="button"[^>]*id="copy-link"[^>]*hidden>Copy link</button>', page
    )
    assert '<p class="copy-status" id="copy-status" role="status" aria-live="polite">' in page
    assert "onclick" not in page
    assert "<script>" not in page
