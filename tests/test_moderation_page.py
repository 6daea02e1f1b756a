"""The moderation page: who wrote what, accept and reject one by one or in bulk, search,
and junk refused with nothing changed."""

from __future__ import annotations

import re

from conftest import create_conversation, join, make_app
from helpers import distinct_text, log_in, log_in_with_csrf, xid_signature

API = "/api/v1/conversations"


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


def test_a_statement_moderated_by_someone_else_meanwhile_is_left_as_they_set_it(
    client, facilitator
):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    ids = [submit(client, cid, author, distinct_text(n)) for n in range(1, 4)]
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{cid}/moderate").get_data(as_text=True)
    shown = re.findall(r'name="shown_ids" value="(\d+)"', page)
    shown_as = dict(re.findall(r'name="(shown_as-\d+)" value="(\w+)"', page))
    assert set(shown_as.values()) == {"unmoderated"}
    # Another facilitator rejects one while this page is open, and accepts another: the
    # same decision as this one's, so no conflict.
    for sid, action in ((ids[2], "reject"), (ids[0], "accept")):
        other = client.post(
            f"{API}/{cid}/moderation",
            json={"statement_ids": [sid], "action": action},
            headers=facilitator.headers,
        )
        assert other.status_code == 200
    response = client.post(
        f"/facilitate/c/{cid}/moderate",
        data={"select_all": "on", "shown_ids": shown, "action": "accept", **shown_as},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "2 statements changed: accepted." in text
    assert "1 statement was moderated by someone else since this page was drawn" in text
    assert [statuses(client, facilitator, cid)[i] for i in ids] == [
        "accepted",
        "accepted",
        "rejected",
    ]


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
