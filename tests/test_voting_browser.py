"""Voting in a real Chromium, through Playwright: with and without JavaScript, by keyboard,
on a phone, on a closed consultation, with hostile statements.

The fixtures `browser` and `new_page` (conftest): one browser for the module, a new
context (fresh cookies) per test, against `live_server` (CSRF on). Chromium comes from
the system (/usr/bin/chromium); without it, or without the playwright package, these
tests skip (or fail in CI, see conftest.require_service).
"""

from __future__ import annotations

import re

import pytest
from accessibility import assert_accessible
from browsing import API, FIELD_LABELS, PHONE, agree, api_counts, log_in, statements_left
from conftest import SEEDS, create_conversation, join
from helpers import moderate, quoted
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from consult.extensions import db
from consult.models import Vote

pytestmark = pytest.mark.browser

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


# -- voting -------------------------------------------------------------------------------


def test_with_javascript_votes_show_the_next_statement_without_reloading(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Transport")
    statement = page.locator("#statement-text")
    progress = page.locator("#progress")
    expect(progress).to_have_text("3 statements left")
    for name in ("Agree", "Disagree", "Pass / unsure"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_enabled()
    page.evaluate("window.__sameDocument = 'yes'")

    shown = [statement.inner_text()]
    for left in (2, 1):
        agree(page).click()
        expect(progress).to_have_text(statements_left(left))
        expect(statement).not_to_have_text(shown[-1])
        expect(statement).to_be_focused()
        shown.append(statement.inner_text())
        assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    assert sorted(shown) == sorted(SEEDS)

    agree(page).click()
    done = page.locator("#all-done")
    expect(done).to_be_visible()
    expect(done).to_contain_text("Thank you for voting")
    expect(done).to_be_focused()
    expect(page.locator("#vote-form")).to_be_hidden()
    expect(progress).to_have_text("You have seen every statement for now.")
    assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    assert api_counts(client, cid) == {"participants": 1, "votes": 3, "statements": 3}
    expect(page.get_by_role("link", name=re.compile(r"Your votes \(3\)"))).to_be_visible()

    page.reload()  # what the server now shows this browser agrees
    expect(page.locator("#all-done")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Your votes \(3\)"))).to_be_visible()


def test_without_javascript_votes_post_and_redirect(new_page, conversation, client, app):
    cid = conversation["id"]
    page = new_page(java_script_enabled=False)
    page.goto(f"/c/{cid}")
    statement = page.locator("#statement-text")
    shown = []
    for left, button in ((3, "Agree"), (2, "Disagree"), (1, "Pass / unsure")):
        expect(page.locator("#progress")).to_have_text(statements_left(left))
        shown.append(statement.inner_text())
        with page.expect_request(lambda r: r.method == "POST") as posted:
            page.get_by_role("button", name=button, exact=True).click()
        request = posted.value
        assert request.url.endswith(f"/c/{cid}/vote")
        assert request.redirected_to is not None, "the form post did not redirect"
        assert request.redirected_to.url.endswith(f"/c/{cid}")
        page.wait_for_load_state()
    assert sorted(shown) == sorted(SEEDS)
    expect(page.locator("#progress")).to_have_text("You have seen every statement for now.")
    expect(page.locator("#all-done")).to_be_visible()
    expect(page.locator("#vote-form")).to_be_hidden()
    assert api_counts(client, cid)["votes"] == 3
    with app.app_context():
        assert sorted(db.session.scalars(select(Vote.value))) == [-1, 0, 1]


def test_changing_an_earlier_vote_on_the_votes_page_replaces_it(
    new_page, conversation, client, app
):
    cid = conversation["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    first = page.locator("#statement-text").inner_text()
    agree(page).click()
    expect(page.locator("#progress")).to_have_text("2 statements left")
    second = page.locator("#statement-text").inner_text()
    page.get_by_role("button", name="Disagree", exact=True).click()
    expect(page.locator("#progress")).to_have_text("1 statement left")
    assert api_counts(client, cid)["votes"] == 2

    page.goto(f"/c/{cid}/votes")
    item = page.get_by_role("listitem").filter(has_text=first)
    expect(item.get_by_role("button", name="Agree", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(item.get_by_role("button", name="Disagree", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    item.get_by_role("button", name="Disagree", exact=True).click()

    expect(page.locator(".message-success")).to_have_text("Your vote is changed.")
    expect(page).to_have_url(re.compile(rf"/c/{cid}/votes$"))
    item = page.get_by_role("listitem").filter(has_text=first)
    expect(item.get_by_role("button", name="Disagree", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(item.get_by_role("button", name="Agree", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(item.locator(".current-vote")).to_have_text("Your vote: Disagree")
    other = page.get_by_role("listitem").filter(has_text=second)
    expect(other.locator(".current-vote")).to_have_text("Your vote: Disagree")
    expect(page.get_by_role("listitem")).to_have_count(2)

    assert api_counts(client, cid)["votes"] == 2
    with app.app_context():
        assert sorted(db.session.scalars(select(Vote.value))) == [-1, -1]


# -- statements ---------------------------------------------------------------------------


def statement_form_with_javascript(new_page, cid: str) -> tuple[Page, Locator, Locator]:
    """The participation page with JavaScript on, marked so that a reload would show; its
    statement box and the messages beside it."""
    page = new_page()
    page.goto(f"/c/{cid}")
    page.evaluate("window.__sameDocument = 'yes'")
    box = page.get_by_label("Something others should be asked about")
    return page, box, page.locator("#statement-status")


def test_with_javascript_an_exact_repeat_is_refused_and_the_text_kept(
    new_page, conversation, client
):
    cid = conversation["id"]
    page, box, messages = statement_form_with_javascript(new_page, cid)

    box.fill("Trams should run through the night.")
    page.get_by_role("button", name="Add statement").click()
    expect(messages.locator(".message-success")).to_have_text(
        "Added. Writing it counts as agreeing with it."
    )
    expect(box).to_have_value("")
    assert api_counts(client, cid)["statements"] == 4

    duplicate = "BUSES should run every ten minutes!!"
    box.fill(duplicate)
    page.get_by_role("button", name="Add statement").click()
    expect(messages.locator(".message-error")).to_have_text(
        f"This statement is already here: {quoted(SEEDS[0])}"
    )
    expect(messages.locator(".message-success")).to_have_count(0)
    expect(box).to_have_value(duplicate)  # kept, so it can be reworded
    expect(page.get_by_role("button", name="Add mine anyway")).to_be_hidden()
    assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    assert api_counts(client, cid)["statements"] == 4


def test_with_javascript_dissent_is_added_and_a_similar_one_offered(new_page, conversation, client):
    cid = conversation["id"]
    page, box, messages = statement_form_with_javascript(new_page, cid)
    similar = page.locator("#similar")

    box.fill("Buses should not run every ten minutes.")  # the opposite of SEEDS[0]
    page.get_by_role("button", name="Add statement").click()
    expect(messages.locator(".message-success")).to_have_text(
        "Added. Writing it counts as agreeing with it."
    )
    expect(similar).to_be_hidden()
    assert api_counts(client, cid)["statements"] == 4

    near = "Cycle lanes should be separated from the cars."
    box.fill(near)
    page.get_by_role("button", name="Add statement").click()
    expect(similar).to_be_visible()
    expect(similar).to_contain_text("A similar statement exists: vote on it, or add yours anyway.")
    expect(similar.locator("legend")).to_have_text([SEEDS[1]])
    expect(similar.get_by_role("button", name="Agree", exact=True)).to_be_visible()
    expect(box).to_have_value(near)
    assert api_counts(client, cid)["statements"] == 4
    assert_accessible(page, "a similar statement offered")

    page.get_by_role("button", name="Add mine anyway").click()
    expect(messages.locator(".message-success")).to_have_text(
        "Added. Writing it counts as agreeing with it."
    )
    expect(similar).to_be_hidden()
    expect(page.get_by_role("button", name="Add mine anyway")).to_be_hidden()
    expect(box).to_have_value("")
    assert api_counts(client, cid)["statements"] == 5

    dissent = "Parking in the centre is to cheap!"
    box.fill(dissent)
    page.get_by_role("button", name="Add statement").click()
    similar.get_by_role("button", name="Disagree").click()
    expect(messages.locator(".message-success")).to_have_text("Your vote is counted.")
    expect(similar).to_be_hidden()
    expect(page.locator("#voted-count")).to_have_text("3")
    assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    counts = api_counts(client, cid)
    assert (counts["statements"], counts["votes"]) == (5, 3)  # 2 by writing, 1 by voting
    # Having voted against the offer, they may still add their own: it was kept.
    expect(box).to_have_value(dissent)
    add_anyway = page.get_by_role("button", name="Add mine anyway")
    expect(add_anyway).to_be_focused()
    add_anyway.click()
    expect(messages.locator(".message-success")).to_have_text(
        "Added. Writing it counts as agreeing with it."
    )
    assert api_counts(client, cid)["statements"] == 6


def test_with_javascript_a_statement_withdrawn_on_screen_gives_way_to_the_next(
    new_page, conversation, client, facilitator
):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    statement = page.locator("#statement-text")
    withdrawn = statement.inner_text()
    sid = next(
        s["id"]
        for s in client.get(f"{API}/{cid}/statements").json["statements"]
        if s["text"] == withdrawn
    )
    moderate(client, facilitator, cid, [sid], "reject")

    page.get_by_role("button", name="Disagree", exact=True).click()
    expect(page.locator("#vote-status")).to_have_text(
        "This statement was withdrawn by the moderators."
    )
    expect(statement).not_to_have_text(withdrawn)
    expect(page.locator("#progress")).to_have_text(statements_left(2))
    agree(page).click()  # the next one takes the vote
    expect(page.locator("#voted-count")).to_have_text("1")
    assert api_counts(client, cid)["votes"] == 1


def add_without_javascript(new_page, cid: str, text: str) -> Page:
    """A page with JavaScript off that has just submitted `text` as a new statement."""
    page = new_page(java_script_enabled=False)
    page.goto(f"/c/{cid}")
    page.get_by_label("Something others should be asked about").fill(text)
    page.get_by_role("button", name="Add statement").click()
    return page


def test_without_javascript_a_refused_statement_is_explained_and_kept(
    new_page, conversation, client
):
    cid = conversation["id"]
    duplicate = "cycle lanes should be separated from cars"
    page = add_without_javascript(new_page, cid, duplicate)
    expect(page.locator(".message-error")).to_have_text(
        f"This statement is already here: {quoted(SEEDS[1])}"
    )
    expect(page).to_have_url(re.compile(rf"/c/{cid}#add-statement$"))
    expect(page.get_by_label("Something others should be asked about")).to_have_value(duplicate)
    assert api_counts(client, cid)["statements"] == 3


def test_without_javascript_a_similar_statement_is_offered_and_added_anyway(
    new_page, conversation, client
):
    cid = conversation["id"]
    near = "Cycle lanes should be separated from the cars."
    page = add_without_javascript(new_page, cid, near)
    similar = page.locator("#similar")
    expect(similar).to_contain_text("A similar statement exists: vote on it, or add yours anyway.")
    expect(similar.locator("legend")).to_have_text([SEEDS[1]])
    expect(page.get_by_label("Something others should be asked about")).to_have_value(near)
    page.get_by_role("button", name="Add mine anyway").click()
    expect(page.locator(".message-success")).to_have_text(
        "Added. Writing it counts as agreeing with it."
    )
    expect(similar).to_be_hidden()
    assert api_counts(client, cid)["statements"] == 4


def test_markup_in_statements_is_shown_as_text_and_never_runs(new_page, client, facilitator):
    conversation = create_conversation(client, facilitator, seed_statements=[])
    cid = conversation["id"]
    participant = join(client, cid)
    hostile = [XSS, '<b>bold</b><svg onload="window.__xss=3;alert(1)"></svg> on the road']
    for text in hostile:
        response = client.post(f"{API}/{cid}/statements", json={"text": text}, headers=participant)
        assert response.status_code == 201, response.json

    page = new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/c/{cid}")
    statement = page.locator("#statement-text")
    shown = [statement.inner_text()]  # the first one is rendered by the server
    agree(page).click()
    expect(statement).not_to_have_text(shown[0])
    shown.append(statement.inner_text())  # the second one is put in by participate.js
    assert sorted(shown) == sorted(hostile)
    expect(statement).to_be_visible()
    agree(page).click()
    expect(page.locator("#all-done")).to_be_visible()

    # a repeat is refused with a message that quotes the hostile statement
    page.get_by_label("Something others should be asked about").fill(XSS.upper())
    page.get_by_role("button", name="Add statement").click()
    expect(page.locator(".message-error")).to_have_text(
        f"This statement is already here: {quoted(XSS)}"
    )
    assert page.evaluate("typeof window.__xss") == "undefined"
    # a similar one is offered back in a panel that participate.js builds: as text too
    page.get_by_label("Something others should be asked about").fill(XSS + " again")
    page.get_by_role("button", name="Add statement").click()
    expect(page.locator("#similar legend")).to_have_text([XSS])
    assert page.evaluate("typeof window.__xss") == "undefined"

    page.goto(f"/c/{cid}/votes")
    for text in hostile:
        expect(page.get_by_text(text, exact=True)).to_be_visible()

    for path in (f"/c/{cid}", f"/c/{cid}/votes"):
        page.goto(path)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator("img, svg, b, main script").count() == 0
    assert dialogs == []


# -- keyboard and labels -----------------------------------------------------------------


def test_keyboard_users_skip_to_content_and_vote_with_enter(new_page, conversation, client):
    cid = conversation["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Agree":
            break
    expect(agree(page)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#progress")).to_have_text("2 statements left")
    expect(page.locator("#statement-text")).to_be_focused()
    assert api_counts(client, cid)["votes"] == 1

    page.keyboard.press("Tab")  # from the new statement straight back to its buttons
    expect(agree(page)).to_be_focused()
    page.keyboard.press("Tab")
    disagree = page.get_by_role("button", name="Disagree", exact=True)
    expect(disagree).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#progress")).to_have_text("1 statement left")
    assert api_counts(client, cid)["votes"] == 2


def test_every_field_of_the_participation_page_has_a_label(new_page, conversation):
    page = new_page()
    page.goto(f"/c/{conversation['id']}")
    fields = page.evaluate(FIELD_LABELS)
    assert fields, "no fields found"
    assert [f for f in fields if not f["label"]] == []
    expect(page.get_by_label("Something others should be asked about")).to_be_editable()


def test_every_field_of_the_new_consultation_page_has_a_label(new_page, facilitator):
    page = new_page()
    log_in(page, facilitator.email, facilitator.password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consultations")
    page.goto("/facilitate/new")
    fields = page.evaluate(FIELD_LABELS)
    assert len(fields) >= 9
    assert [f for f in fields if not f["label"]] == []
    for label in ("Title", "Question", "Description", "Seed statements, one per line"):
        expect(page.get_by_label(label, exact=True)).to_be_editable()
    expect(page.get_by_label("Strict moderation")).not_to_be_checked()
    expect(page.get_by_label("Longest statement, in characters")).to_have_value("280")


# -- phone, desktop and closed consultations ----------------------------------------------


def test_on_a_phone_the_page_fits_and_the_buttons_are_big_enough(new_page, conversation, tmp_path):
    page = new_page(**PHONE, device_scale_factor=2)
    page.goto(f"/c/{conversation['id']}")
    expect(agree(page)).to_be_visible()
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the page scrolls sideways"
    for name in ("Agree", "Disagree", "Pass / unsure", "Add statement"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None
        assert box["height"] >= 44, (name, box)
        assert box["width"] >= 44, (name, box)
    page.screenshot(path=tmp_path / "consult-phone.png", full_page=True)  # to look at


def test_on_a_phone_a_statement_with_a_long_link_does_not_scroll_sideways(
    new_page, client, facilitator
):
    link = "https://example.org/" + "consultation-transport-" * 8
    conversation = create_conversation(client, facilitator, seed_statements=[f"See {link}"])
    page = new_page(**PHONE)
    page.goto(f"/c/{conversation['id']}")
    expect(page.locator("#statement-text")).to_contain_text(link)
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), "the page scrolls sideways"


def test_on_a_desktop_the_page_fits_without_scrolling_sideways(new_page, conversation, tmp_path):
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"/c/{conversation['id']}")
    expect(agree(page)).to_be_visible()
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.screenshot(path=tmp_path / "consult-desktop.png", full_page=True)


def test_a_closed_consultation_says_so_and_offers_no_vote_buttons(
    new_page, conversation, client, facilitator
):
    cid = conversation["id"]
    response = client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    assert response.status_code == 200, response.json
    page = new_page()
    page.goto(f"/c/{cid}")
    expect(page.get_by_text("This consultation is closed")).to_be_visible()
    for name in ("Agree", "Disagree", "Pass / unsure"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Add statement")).to_have_count(0)
    assert api_counts(client, cid)["votes"] == 0
