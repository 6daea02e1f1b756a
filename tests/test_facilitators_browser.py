"""The facilitator's tools in a real Chromium: logging in, creating a consultation,
moderation, closing, invitations, the copy button, and every facilitator page on a phone.
Each page state passes axe-core.

Uses conftest's browser fixtures (one Chromium for the module, a fresh context per test,
against `live_server` with CSRF on).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from accessibility import assert_accessible
from browsing import PHONE, assert_fits_the_phone, log_in
from conftest import create_conversation, join
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

API = "/api/v1/conversations"


def facilitator_page(new_page, facilitator, **options) -> Page:
    page = new_page(**options)
    log_in(page, facilitator.email, facilitator.password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consultations")
    return page


def without_our_script(page: Page) -> Page:
    """The page as without JavaScript, as far as our pages go: facilitate.js never runs.

    (Not java_script_enabled=False: axe-core runs as JavaScript in the page.)
    """
    page.route(
        "**/js/facilitate.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    return page


def submit(client, cid, headers, text) -> int:
    response = client.post(f"{API}/{cid}/statements", json={"text": text}, headers=headers)
    assert response.status_code == 202, response.json
    return response.json["id"]


def waiting(client, facilitator, cid) -> int:
    rows = client.get(
        f"{API}/{cid}/statements?status=unmoderated", headers=facilitator.headers
    ).json
    return rows["total"]


def test_moderation_select_all_bulk_actions_and_one_row(new_page, facilitator, client):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    texts = ["Trams should run all night.", "Ferries need a second pier.", "Bikes go free."]
    for text in texts:
        submit(client, cid, author, text)
    desk = facilitator_page(new_page, facilitator)
    desk.goto(f"/facilitate/c/{cid}/moderate")
    row = desk.get_by_role("row").filter(has_text=texts[0])
    expect(row).to_contain_text("Participant 1")
    # Who, when and the votes read as a line under the text (a float once squeezed it beside).
    text, about = (
        row.locator(".moderation-text").bounding_box(),
        row.locator(".statement-about").bounding_box(),
    )
    assert about["y"] >= text["y"] + text["height"] - 1, (text, about)
    assert about["width"] >= text["width"] - 1, (text, about)
    assert_accessible(desk, "moderation queue")

    desk.get_by_role("button", name="Accept", exact=True).click()
    expect(desk.locator(".message-error")).to_have_text("Select at least one statement first.")
    assert waiting(client, facilitator, cid) == 3
    assert_accessible(desk, "nothing selected")

    select_all = desk.get_by_label("Select all statements on this page")
    select_all.check()
    for box in desk.locator('input[name="statement_ids"]').all():
        expect(box).to_be_checked()
    desk.get_by_role("checkbox", name=texts[2]).uncheck()
    expect(select_all).not_to_be_checked()  # one row left out: no longer "all"
    desk.get_by_role("button", name="Reject", exact=True).click()
    expect(desk.locator(".message-success")).to_have_text("2 statements changed: rejected.")
    assert waiting(client, facilitator, cid) == 1
    assert_accessible(desk, "after a bulk action")

    desk.get_by_role("button", name=f"Accept “{texts[2]}”").click()
    expect(desk.locator(".message-success")).to_have_text("1 statement changed: accepted.")
    expect(desk.get_by_text("No statements here.")).to_be_visible()
    assert waiting(client, facilitator, cid) == 0

    desk.get_by_role("link", name="All").click()
    desk.get_by_label("Find statements containing").fill("ferries")
    desk.get_by_role("button", name="Search").click()
    expect(desk.locator("tbody tr")).to_have_count(1)
    expect(desk.locator("tbody tr .moderation-status")).to_have_text("rejected")
    assert_accessible(desk, "search results")


def test_moderation_select_all_works_without_the_script(new_page, facilitator, client):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    for text in ("Trams should run all night.", "Ferries need a second pier."):
        submit(client, cid, author, text)
    desk = without_our_script(facilitator_page(new_page, facilitator))
    desk.goto(f"/facilitate/c/{cid}/moderate")
    desk.get_by_label("Select all statements on this page").check()
    desk.get_by_role("button", name="Accept", exact=True).click()
    expect(desk.locator(".message-success")).to_have_text("2 statements changed: accepted.")
    assert waiting(client, facilitator, cid) == 0
    assert_accessible(desk, "moderated without the script")


def test_closing_is_confirmed_on_its_own_page_and_can_be_undone(
    new_page,
    facilitator,
    conversation,
    client,
):
    cid = conversation["id"]
    desk = without_our_script(facilitator_page(new_page, facilitator))
    desk.goto(f"/facilitate/c/{cid}")
    expect(desk.get_by_label("Open: participants can vote")).to_have_count(0)  # no more box
    desk.get_by_role("link", name="Close consultation").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Close “Transport”?")
    assert client.get(f"{API}/{cid}").json["is_open"] is True
    assert_accessible(desk, "asked to confirm closing")

    desk.get_by_role("button", name="Close consultation").click()
    expect(desk.locator(".message-success")).to_contain_text("The consultation is closed")
    assert client.get(f"{API}/{cid}").json["is_open"] is False
    assert_accessible(desk, "closed")

    citizen = new_page()
    citizen.goto(f"/c/{cid}")
    expect(citizen.get_by_text("This consultation is closed")).to_be_visible()

    desk.get_by_role("link", name="Reopen consultation").click()
    assert_accessible(desk, "asked to confirm reopening")
    desk.get_by_role("button", name="Reopen consultation").click()
    expect(desk.get_by_role("link", name="Close consultation")).to_be_visible()
    assert client.get(f"{API}/{cid}").json["is_open"] is True


def test_an_invited_only_consultation_explains_and_hands_out_its_links(
    new_page,
    facilitator,
    client,
):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    desk = facilitator_page(new_page, facilitator)
    desk.goto(f"/facilitate/c/{cid}")
    links = desk.get_by_role("heading", name="Invitation links")
    expect(links).to_be_visible()
    expect(desk.get_by_text("This consultation is by invitation only:")).to_be_visible()
    expect(desk.get_by_text("Each link is personal and signed.")).to_be_visible()
    assert_accessible(desk, "invitation links explained")
    desk.get_by_label("Ids, one per line").fill("alice@example.org\nbob")
    with desk.expect_download() as download:
        desk.get_by_role("button", name="Download invitation links (CSV)").click()
    rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0] == "xid,url"
    assert [row.split(",")[0] for row in rows[1:]] == ["alice@example.org", "bob"]

    invited = new_page()
    invited.goto(rows[2].split(",", 1)[1])
    expect(invited.get_by_role("button", name="Agree", exact=True)).to_be_enabled()


def test_on_a_phone_the_facilitators_pages_fit(new_page, facilitator, client):
    long_topic = "Transport in the whole metropolitan region, " + "consultation" * 4
    cid = create_conversation(client, facilitator, topic=long_topic, strict_moderation=True)["id"]
    author = join(client, cid)
    submit(client, cid, author, "See https://example.org/" + "a-very-long-path-" * 6)
    desk = facilitator_page(new_page, facilitator, **PHONE)
    for path, state in (
        ("/facilitate/", "dashboard"),
        (f"/facilitate/c/{cid}/moderate", "moderation"),
        (f"/facilitate/c/{cid}", "manage"),
        (f"/facilitate/c/{cid}/close", "confirm closing"),
    ):
        desk.goto(path)
        assert_fits_the_phone(desk, f"the {state} page")
        assert_accessible(desk, f"{state} on a phone")
    desk.goto(f"/facilitate/c/{cid}/moderate?status=all")
    for label in desk.locator(".moderation-status").all():  # one line: no word broken
        box = label.bounding_box()
        assert box["height"] < 32, box  # a line is 28 px here; a broken word makes two
    desk.goto("/facilitate/")
    card = desk.get_by_role("row").filter(has_text="Transport in the whole")
    expect(card).to_contain_text("Participants: 1", use_inner_text=True)
    expect(card).to_contain_text("State: open", use_inner_text=True)
    desk.set_viewport_size({"width": 1280, "height": 800})  # a table again: no labels in it
    expect(card).not_to_contain_text("Participants:", use_inner_text=True)


def test_the_copy_button_copies_the_participants_link_and_says_so(
    new_page,
    facilitator,
    conversation,
    live_server,
):
    cid = conversation["id"]
    desk = facilitator_page(
        new_page, facilitator, permissions=["clipboard-read", "clipboard-write"]
    )
    desk.goto(f"/facilitate/c/{cid}")
    box = desk.get_by_label("The link to send them")
    expect(box).to_have_value(f"{live_server}/c/{cid}")
    expect(box).not_to_be_editable()
    status = desk.locator("#copy-status")
    expect(status).to_be_empty()
    assert_accessible(desk, "participants' link with its copy button")
    desk.get_by_role("button", name="Copy link").click()
    expect(status).to_have_text("Copied")
    expect(status).to_be_visible()
    assert desk.evaluate("navigator.clipboard.readText()") == f"{live_server}/c/{cid}"
    assert_accessible(desk, "link copied")


def test_without_the_script_the_link_is_there_to_select(
    new_page,
    facilitator,
    conversation,
    live_server,
):
    cid = conversation["id"]
    desk = without_our_script(facilitator_page(new_page, facilitator))
    desk.goto(f"/facilitate/c/{cid}")
    expect(desk.get_by_role("button", name="Copy link")).to_be_hidden()
    box = desk.get_by_label("The link to send them")
    box.select_text()
    assert desk.evaluate("String(window.getSelection())") == f"{live_server}/c/{cid}"
    assert_accessible(desk, "participants' link without the script")


# -- a facilitator's day: log in, create, moderate -------------------------------------


def test_facilitator_creates_a_strict_consultation_and_accepts_a_statement(
    new_page, facilitator, client
):
    desk = new_page()
    log_in(desk, facilitator.email, facilitator.password)
    expect(desk.get_by_role("heading", level=1)).to_have_text("Your consultations")
    assert_accessible(desk, "dashboard")

    desk.get_by_role("link", name="New consultation").click()
    assert_accessible(desk, "new consultation form")
    desk.get_by_label("Title", exact=True).fill("Bicycles in town")
    desk.get_by_label("Seed statements, one per line").fill(
        "Bike racks belong at every station.\n\n  Helmets should be compulsory.  \n"
    )
    desk.get_by_label("Strict moderation").check()
    desk.get_by_role("button", name="Create consultation").click()
    expect(desk.locator(".message-success")).to_contain_text("The consultation is created.")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Bicycles in town")
    assert_accessible(desk, "consultation created")
    link = desk.get_by_text("Participants' link:").get_by_role("link").get_attribute("href")
    cid = link.rstrip("/").rsplit("/", 1)[-1]
    created = client.get(f"{API}/{cid}").json
    assert created["strict_moderation"] is True
    assert created["counts"]["statements"] == 2

    citizen = new_page()
    citizen.goto(link)
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Bicycles in town")
    mine = "Cargo bikes need wider lanes."
    citizen.get_by_label("Something others should be asked about").fill(mine)
    citizen.get_by_role("button", name="Add statement").click()
    expect(citizen.locator(".message-success")).to_have_text(
        "Added. Writing it counts as agreeing with it."
        " It is shown to others once a facilitator has read it."
    )
    assert_accessible(citizen, "statement waiting for moderation")
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 2  # not shown yet

    desk.get_by_role("link", name="Moderate statements").click()
    tabs = desk.get_by_role("navigation", name="Moderation status")
    expect(tabs.get_by_role("link", name="Waiting (1)")).to_have_attribute("aria-current", "page")
    row = desk.get_by_role("row").filter(has_text=mine)
    expect(row).to_contain_text("unmoderated")
    assert_accessible(desk, "moderation queue")
    row.get_by_role("checkbox").check()
    desk.get_by_role("button", name="Accept", exact=True).click()
    expect(desk.locator(".message-success")).to_contain_text("changed")
    expect(tabs.get_by_role("link", name="Waiting (0)")).to_be_visible()
    expect(desk.get_by_role("row").filter(has_text=mine)).to_have_count(0)

    tabs.get_by_role("link", name="Accepted (3)").click()
    expect(tabs.get_by_role("link", name="Accepted (3)")).to_have_attribute("aria-current", "page")
    expect(desk.get_by_role("row").filter(has_text=mine)).to_contain_text("accepted")
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3


def test_a_wrong_password_shows_an_error_and_does_not_log_in(new_page, facilitator):
    page = new_page()
    log_in(page, facilitator.email, "not the password")
    expect(page.locator(".message-error")).to_have_text("Wrong email or password.")
    assert_accessible(page, "login refused")
    expect(page.get_by_role("heading", level=1)).to_have_text("Facilitator login")
    expect(page.get_by_label("Email")).to_have_value(facilitator.email)
    expect(page.get_by_label("Password")).to_have_value("")
    page.goto("/facilitate/")
    expect(page).to_have_url(re.compile(r"/facilitate/login\?next="))
    expect(page.get_by_role("link", name="New consultation")).to_have_count(0)
