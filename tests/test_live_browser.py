"""The live pages in a real Chromium: the facilitator's live page and the presentation view
follow votes without a reload, citizens see where they stand (or not, when results are
private), new statements and published responses reach them, and the pages run under
the Content-Security-Policy. Fixtures as in `test_voting_browser`."""

from __future__ import annotations

import re

import pytest
import requests
from browsing import API, FIELD_LABELS, PHONE, agree, log_in, statements_left, vote_in_camps
from conftest import create_conversation, join
from helpers import DISTINCT_STATEMENTS, analyse
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


# -- live pages ---------------------------------------------------------------------------
LIVE_SEEDS = DISTINCT_STATEMENTS[:6]


def test_the_live_page_follows_votes_without_a_reload(new_page, facilitator, client, live_server):
    cid = create_conversation(client, facilitator, seed_statements=LIVE_SEEDS)["id"]
    desk = new_page()
    log_in(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{cid}/live")
    expect(desk.locator("#live-status")).to_contain_text("No analysis yet")
    desk.evaluate("window.stillTheSamePage = true")  # a reload would forget it

    vote_in_camps(live_server, cid, voters=40)
    expect(desk.locator("#group-cards details")).to_have_count(2, timeout=20_000)
    expect(desk.locator("#count-votes")).to_have_text(str(40 * len(LIVE_SEEDS)), timeout=20_000)
    expect(desk.locator("#opinion-map circle.dot")).to_have_count(40, timeout=20_000)
    assert desk.evaluate("window.stillTheSamePage") is True

    # An open group stays open, with focus on it, and the keyboard reaches the map's group
    # labels. The division, unchanged, is not written (read out) again.
    desk.locator("#group-cards summary").first.click()
    desk.evaluate(
        """window.divisionWrites = 0;
        new MutationObserver(() => window.divisionWrites++).observe(
            document.getElementById("division"),
            { childList: true, characterData: true, subtree: true })"""
    )
    division, tick = (
        desk.locator("#division").inner_text(),
        desk.locator("#live-status").inner_text(),
    )
    vote_in_camps(live_server, cid, voters=4, first=40)
    expect(desk.locator("#live-status")).not_to_have_text(tick, timeout=20_000)
    expect(desk.locator("#count-participants")).to_have_text("44", timeout=20_000)
    expect(desk.locator("#group-cards details").first).to_have_attribute("open", "")
    expect(desk.locator("#group-cards summary").first).to_be_focused()
    assert desk.locator("#division").inner_text() == division
    assert desk.evaluate("window.divisionWrites") == 0
    label = desk.locator("#opinion-map [data-group]").nth(1)
    label.focus()
    desk.keyboard.press("Enter")
    expect(desk.locator("#opinion-map [data-group]").nth(1)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(desk.locator("#group-cards details").nth(1)).to_have_attribute("open", "")
    assert desk.evaluate("window.stillTheSamePage") is True


def test_the_presentation_view_updates_and_has_no_controls(
    new_page, facilitator, client, live_server
):
    cid = create_conversation(client, facilitator, seed_statements=LIVE_SEEDS)["id"]
    room = new_page(viewport={"width": 1600, "height": 900})
    log_in(room, facilitator.email, facilitator.password)
    room.goto(f"/facilitate/c/{cid}/present")
    vote_in_camps(live_server, cid, voters=30)
    expect(room.locator("#group-cards details")).to_have_count(2, timeout=20_000)
    assert room.locator("form, input, textarea, select").count() == 0
    expect(room.locator("#opinion-map circle.dot")).to_have_count(30, timeout=20_000)
    # A projector's screen, which nobody scrolls: the whole view fits it.
    room.set_viewport_size({"width": 1280, "height": 720})
    assert room.evaluate("document.documentElement.scrollHeight") <= 720
    for part in ("#opinion-map", "#consensus-agree", "#group-cards"):
        box = room.locator(part).bounding_box()
        assert box is not None
        assert box["y"] + min(box["height"], 40) <= 720, part  # on screen, at least its top


def test_the_presentation_says_it_is_closed_without_a_reload(
    new_page, facilitator, client, live_server
):
    cid = create_conversation(client, facilitator, seed_statements=LIVE_SEEDS)["id"]
    room = new_page(viewport={"width": 1280, "height": 720})
    room.clock.install()
    log_in(room, facilitator.email, facilitator.password)
    room.goto(f"/facilitate/c/{cid}/present")
    notice = room.locator("#closed-notice")
    expect(notice).to_be_hidden()
    client.patch(
        f"/api/v1/conversations/{cid}", json={"is_open": False}, headers=facilitator.headers
    )
    room.clock.fast_forward(61_000)  # the page asks for its numbers again once a minute old
    expect(notice).to_be_visible(timeout=10_000)
    expect(notice).to_have_css("color", "rgb(0, 0, 0)")  # readable on its pale ground
    client.patch(
        f"/api/v1/conversations/{cid}", json={"is_open": True}, headers=facilitator.headers
    )
    room.clock.fast_forward(61_000)
    expect(notice).to_be_hidden(timeout=10_000)


def test_a_citizen_sees_where_they_stand_on_a_phone(new_page, facilitator, client, live_server):
    cid = create_conversation(client, facilitator, seed_statements=LIVE_SEEDS)["id"]
    vote_in_camps(live_server, cid, voters=30)
    phone = new_page(**PHONE)
    phone.goto(f"/c/{cid}")
    for _ in LIVE_SEEDS:  # voting as the first camp does: agree with the first half only
        text = phone.locator("#statement-text").inner_text()
        choice = "Agree" if text in LIVE_SEEDS[: len(LIVE_SEEDS) // 2] else "Disagree"
        count = phone.locator("#voted-count").inner_text()
        phone.get_by_role("button", name=choice, exact=True).click()
        expect(phone.locator("#voted-count")).not_to_have_text(count)
    phone.get_by_role("link", name="See where you stand and how others voted").click()
    expect(phone.locator("#me")).to_contain_text("You are in Group", timeout=20_000)
    expect(phone.locator("#opinion-map .me-marker")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The votes table scrolls sideways in a region a keyboard reaches and a reader names.
    votes = phone.get_by_role("region", name="Table of how each group voted")
    expect(votes.locator("table")).to_have_count(1)
    votes.focus()
    expect(votes).to_be_focused()


def test_private_results_are_not_shown_to_citizens(new_page, facilitator, client, live_server):
    cid = create_conversation(
        client, facilitator, seed_statements=LIVE_SEEDS, results_public=False
    )["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    expect(page.get_by_role("link", name="See where you stand and how others voted")).to_have_count(
        0
    )
    page.goto(f"/c/{cid}/results")
    expect(page.get_by_role("note")).to_contain_text("not shown here")


def test_a_share_of_too_few_votes_is_not_shown_as_a_percentage(new_page, app, client, analysed):
    """A statement whose one vote is its author's agreement is not "100 % agree"."""
    new = "Trams should run all night at weekends."
    added = client.post(
        f"{API}/{analysed}/statements", json={"text": new}, headers=join(client, analysed)
    )
    assert added.status_code == 201
    analyse(app, analysed)
    page = new_page()
    page.goto(f"/c/{analysed}/results")
    table = page.locator("table.group-votes")
    fresh = table.get_by_role("row").filter(has_text=new)
    expect(fresh.get_by_role("cell").nth(1)).to_have_text("Too few votes to tell")
    expect(fresh).not_to_contain_text("%")
    voted = table.get_by_role("row").filter(has_text=DISTINCT_STATEMENTS[0])
    expect(voted.get_by_role("cell").nth(1)).to_have_text(re.compile(r"^\d+\s?% agree$"))


def test_after_every_statement_new_ones_are_offered_without_a_reload(
    new_page, facilitator, client, live_server
):
    cid = create_conversation(client, facilitator, seed_statements=LIVE_SEEDS[:2])["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    for _ in range(2):
        agree(page).click()
        page.wait_for_timeout(150)
    expect(page.locator("#all-done")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    session = requests.Session()
    token = session.post(f"{live_server}{API}/{cid}/participants", timeout=30).json()["token"]
    added = session.post(
        f"{live_server}{API}/{cid}/statements",
        json={"text": "Trams should run all night at weekends."},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert added.status_code == 201
    expect(page.locator("#statement-text")).to_have_text(
        "Trams should run all night at weekends.", timeout=20_000
    )
    expect(page.locator("#all-done")).to_be_hidden()
    agree(page).click()
    expect(page.locator("#all-done")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True


# -- how the input was used ---------------------------------------------------------------


def test_on_a_phone_a_published_response_is_shown_beside_the_voters_vote(
    new_page, facilitator, conversation
):
    cid = conversation["id"]
    citizen = new_page(**PHONE)
    citizen.goto(f"/c/{cid}")
    voted_on = citizen.locator("#statement-text").inner_text()
    agree(citizen).click()
    expect(citizen.get_by_role("link", name=re.compile(r"Your votes \(1\)"))).to_be_visible()

    desk = new_page(**PHONE)
    log_in(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{cid}")
    desk.get_by_role("link", name="How the input was used").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("How the input was used")
    fields = desk.evaluate(FIELD_LABELS)
    assert [f for f in fields if not f["label"]] == []
    desk.get_by_label("Statement or group").select_option(label=voted_on)
    desk.get_by_label("What became of it").select_option(label="Partly adopted")
    desk.get_by_label("Response: what was done and why").fill("In the draft regulation, article 4.")
    desk.get_by_role("button", name="Add response").click()
    expect(desk.locator(".message-success")).to_have_text("The response is added.")
    overall = desk.get_by_label("What was decided, and how the input was used")
    overall.fill("The council kept most of it.")
    desk.get_by_label("Published: participants see the outcome").check()
    desk.get_by_role("button", name="Save", exact=True).click()
    expect(desk.locator(".message-success")).to_have_text("The outcome is published.")
    assert desk.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the facilitator's outcome page scrolls sideways"
    for name in ("Save", "Add response"):
        box = desk.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None
        assert box["height"] >= 44, (name, box)

    citizen.goto(f"/c/{cid}/votes")
    vote = citizen.get_by_role("listitem").filter(has_text=voted_on)
    expect(vote).to_contain_text("What became of it")
    expect(vote).to_contain_text("Partly adopted")
    expect(vote).to_contain_text("In the draft regulation, article 4.")
    assert citizen.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the votes page scrolls sideways"
    citizen.get_by_role("link", name="how the input was used").click()
    outcome = citizen.get_by_role("region", name="How the input was used")
    expect(outcome).to_contain_text("The council kept most of it.")
    expect(outcome).to_contain_text(voted_on)

    # On an Arabic page, the English texts keep their direction and their own quote marks.
    citizen.goto(f"/language/ar?next=/c/{cid}")
    quoted = citizen.locator("q.outcome-statement")
    style = "(e) => [getComputedStyle(e).direction, getComputedStyle(e).quotes]"
    assert quoted.evaluate(style) == ["ltr", '"“" "”" "‘" "’"']
    assert (
        citizen.locator(".outcome-text").evaluate("(e) => getComputedStyle(e).direction") == "ltr"
    )


# -- Content-Security-Policy -------------------------------------------------------------

# Collects every CSP violation the page reports (a blocked script fails silently otherwise).
LISTEN_FOR_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.effectiveDirective + " " + event.blockedURI);
});
"""


def test_the_voting_and_live_pages_run_under_the_policy(new_page, facilitator, client, live_server):
    cid = create_conversation(client, facilitator, seed_statements=LIVE_SEEDS)["id"]
    console_errors: list[str] = []

    def watched() -> Page:
        page = new_page()
        page.add_init_script(LISTEN_FOR_VIOLATIONS)
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        return page

    def is_real(error: str) -> bool:
        # A missing favicon.ico is logged too; other 404s fail the test in `new_page`.
        return "status of 404" not in error

    voter = watched()
    voter.goto(f"/c/{cid}")
    expect(voter.locator("#progress")).to_have_text(statements_left(len(LIVE_SEEDS)))
    agree(voter).click()  # participate.js fetches the next statement
    expect(voter.locator("#progress")).to_have_text(statements_left(len(LIVE_SEEDS) - 1))

    desk = watched()
    log_in(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{cid}/live")
    expect(desk.locator("#live-status")).not_to_be_empty()
    vote_in_camps(live_server, cid, voters=12)  # arrives over Socket.IO (connect-src)
    expect(desk.locator("#count-participants")).to_have_text("13", timeout=20_000)

    for page in (voter, desk):
        assert page.evaluate("window.__violations") == []
    assert [error for error in console_errors if is_real(error)] == []
    # The listener does hear a violation: an injected inline script is blocked and reported.
    desk.evaluate(
        "const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s);"
    )
    expect(desk.locator("body")).to_be_visible()
    assert desk.evaluate("window.__ran") is None
    assert desk.evaluate("window.__violations")[0].startswith("script-src")
