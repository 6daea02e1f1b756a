"""A citizen's loop on a phone, in a real Chromium: vote, write a statement, see what is new,
and read every answer where one is looking. With and without JavaScript; axe-core checks
every state a test reaches."""

from __future__ import annotations

import re

import pytest
from accessibility import assert_accessible
from browsing import PHONE, api_counts
from conftest import SEEDS, join
from helpers import quoted
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

API = "/api/v1/conversations"
BOX = "Something others should be asked about"
MINE = "Trams should run through the night."
OTHERS = "Bus stops need shelters from the rain."
QUICKER_THAN_THE_WATCH = 4_000  # ms; the page itself asks for new statements every 10 s


def page_without_its_scripts(new_page) -> Page:
    """A phone whose page runs none of the site's scripts: as with JavaScript off.

    Not `java_script_enabled=False`, under which axe-core (itself JavaScript) cannot run.
    The CSP allows no inline script, so blocking the script files blocks them all.
    """
    page = new_page(**PHONE)
    page.route(re.compile(r"\.js(\?.*)?$"), lambda route: route.abort())
    return page


def vote_through(page: Page, seen: list[str], button: str = "Agree") -> None:
    """Vote on every statement the card shows until there are none left, noting each."""
    while page.locator("#vote-form").is_visible():
        seen.append(page.locator("#statement-text").inner_text())
        left = page.locator("#progress").inner_text()
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("#progress")).not_to_have_text(left)


def test_with_javascript_writing_a_statement_counts_as_agreeing_and_offers_what_is_new(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    assert_accessible(page, "after load")
    seen: list[str] = []
    vote_through(page, seen)
    expect(page.locator("#progress")).to_have_text("You have seen every statement for now.")
    assert_accessible(page, "every statement seen")

    # Someone else adds a statement; then this person writes theirs.
    other = join(client, cid)
    added = client.post(f"{API}/{cid}/statements", json={"text": OTHERS}, headers=other)
    assert added.status_code == 201
    page.get_by_label(BOX).fill(MINE)
    page.get_by_role("button", name="Add statement").click()

    status = page.locator("#statement-status")
    expect(status).to_have_text("Added. Writing it counts as agreeing with it.")
    expect(status).to_be_in_viewport()
    expect(page.locator("#voted-count")).to_have_text("4")  # three votes, and writing it
    # What is new is offered at once, not at the next watch: the other's, never mine.
    card = page.locator("#statement-text")
    expect(card).to_have_text(OTHERS, timeout=QUICKER_THAN_THE_WATCH)
    expect(page.locator("#progress")).to_have_text("1 statement left")
    expect(page.locator("#vote-status")).to_have_text("There are new statements to vote on.")
    # The person is not pulled away from where they were writing.
    assert page.evaluate("document.activeElement.closest('#add-statement') !== null")
    assert_accessible(page, "statement added, a new one offered")

    vote_through(page, seen)
    expect(page.locator("#all-done")).to_be_visible()
    assert sorted(seen) == sorted([*SEEDS, OTHERS])  # mine was never asked about
    counts = api_counts(client, cid)
    assert (counts["statements"], counts["votes"]) == (5, 6)  # 4 votes + mine + the other's
    assert_accessible(page, "all done again")


def test_with_javascript_answers_appear_beside_the_vote_and_the_statement_form(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    page.get_by_role("button", name="Disagree", exact=True).click()
    vote_status = page.locator("#vote-status")
    expect(vote_status).to_have_text("Vote recorded: Disagree")
    expect(vote_status).to_have_attribute("role", "status")  # announced, not only shown
    expect(vote_status).to_be_in_viewport()
    assert_accessible(page, "after a vote")

    page.get_by_role("button", name="Pass / unsure", exact=True).click()
    expect(vote_status).to_have_text("Vote recorded: Pass")

    page.get_by_label(BOX).fill("parking in the centre is TOO cheap")
    page.get_by_role("button", name="Add statement").click()
    statement_status = page.locator("#statement-status")
    expect(statement_status).to_have_text(f"This statement is already here: {quoted(SEEDS[2])}")
    expect(statement_status).to_be_in_viewport()
    expect(page.locator("#messages")).to_be_empty()  # not at the top, out of view
    assert_accessible(page, "a statement refused")
    assert api_counts(client, cid)["statements"] == 3


def test_without_javascript_answers_come_back_beside_the_vote_and_the_form(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = page_without_its_scripts(new_page)
    page.goto(f"/c/{cid}")
    assert_accessible(page, "after load, no script")
    page.get_by_role("button", name="Pass / unsure", exact=True).click()
    expect(page.locator("#vote-status")).to_have_text("Vote recorded: Pass")
    expect(page.locator("#vote-status")).to_be_in_viewport()
    assert_accessible(page, "after a vote, no script")

    page.get_by_label(BOX).fill("cycle lanes should be separated from cars")
    page.get_by_role("button", name="Add statement").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}#add-statement$"))
    status = page.locator("#statement-status")
    expect(status).to_have_text(f"This statement is already here: {quoted(SEEDS[1])}")
    expect(status).to_be_in_viewport()
    assert_accessible(page, "a statement refused, no script")

    page.get_by_label(BOX).fill(MINE)
    page.get_by_role("button", name="Add statement").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}#add-statement$"))
    expect(status).to_have_text("Added. Writing it counts as agreeing with it.")
    expect(status).to_be_in_viewport()
    expect(page.locator("#messages")).to_be_empty()
    expect(page.locator("#progress")).to_have_text("2 statements left")  # not mine
    assert_accessible(page, "a statement added, no script")

    seen: list[str] = []
    for _ in range(2):
        seen.append(page.locator("#statement-text").inner_text())
        page.get_by_role("button", name="Agree", exact=True).click()
    expect(page.locator("#progress")).to_have_text("You have seen every statement for now.")
    assert MINE not in seen


def test_the_counter_shows_the_limit_and_an_over_long_text_is_refused_whole(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    box = page.get_by_label(BOX)
    counter = page.locator("#statement-count")
    expect(counter).to_have_text("0 of 280 characters")
    box.fill("🚋 at night")  # an emoji is one character, as the server counts
    expect(counter).to_have_text("10 of 280 characters")

    long = "Trams " * 50
    box.fill(long)
    expect(box).to_have_value(long)  # nothing cut by the browser
    expect(counter).to_have_text("300 of 280 characters: 20 too many")
    expect(box).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "over the limit")
    page.get_by_role("button", name="Add statement").click()
    status = page.locator("#statement-status")
    expect(status).to_contain_text("Your statement is 300 characters long; the limit is 280.")
    expect(status).to_be_in_viewport()
    expect(box).to_have_value(long)  # kept, to be shortened
    assert api_counts(client, cid)["statements"] == 3
    assert_accessible(page, "an over-long statement refused")

    box.fill(long[:280])
    expect(counter).to_have_text("280 of 280 characters")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Add statement").click()
    expect(status).to_have_text("Added. Writing it counts as agreeing with it.")
    expect(counter).to_have_text("0 of 280 characters")
    assert api_counts(client, cid)["statements"] == 4


def test_a_lost_connection_says_what_happened_and_keeps_the_text(new_page, conversation, client):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    page.context.set_offline(True)
    page.get_by_role("button", name="Agree", exact=True).click()
    vote_status = page.locator("#vote-status")
    expect(vote_status).to_contain_text("The connection was lost, so your vote was not recorded.")
    assert_accessible(page, "a vote lost")

    page.get_by_label(BOX).fill(MINE)
    page.get_by_role("button", name="Add statement").click()
    status = page.locator("#statement-status")
    expect(status).to_contain_text("The connection was lost, so your statement was not sent.")
    expect(status).not_to_contain_text("Failed to fetch")
    expect(page.get_by_label(BOX)).to_have_value(MINE)
    assert_accessible(page, "a statement lost")

    page.context.set_offline(False)
    page.get_by_role("button", name="Add statement").click()
    expect(status).to_have_text("Added. Writing it counts as agreeing with it.")
    counts = api_counts(client, cid)
    assert (counts["statements"], counts["votes"]) == (4, 1)


def test_an_expired_session_is_renewed_and_the_statement_sent(new_page, conversation, client):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    page.get_by_label(BOX).fill(MINE)
    page.context.clear_cookies()  # the session expired while the page was open
    page.get_by_role("button", name="Add statement").click()
    expect(page.locator("#statement-status")).to_have_text(
        "Added. Writing it counts as agreeing with it."
    )
    assert api_counts(client, cid)["statements"] == 4
    page.context.clear_cookies()
    page.get_by_role("button", name="Agree", exact=True).click()
    expect(page.locator("#vote-status")).to_have_text("Vote recorded: Agree")
    assert_accessible(page, "after a renewed session")
    assert api_counts(client, cid)["votes"] == 2


def background(page: Page, css: str) -> str:
    return page.locator(css).first.evaluate("e => getComputedStyle(e).backgroundColor")


def vote_on_every_seed(page: Page, cid: str) -> None:
    page.goto(f"/c/{cid}")
    for left in ("2 statements left", "1 statement left", "You have seen every statement"):
        page.get_by_role("button", name="Agree", exact=True).click()
        expect(page.locator("#progress")).to_contain_text(left)


def test_with_javascript_a_vote_changes_in_place_with_the_cards_colours(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    card_colours = [background(page, f".vote-card .vote-{k}") for k in ("agree", "disagree")]
    vote_on_every_seed(page, cid)
    page.goto(f"/c/{cid}/votes")
    assert_accessible(page, "your votes")
    listed = [background(page, f".vote-history .vote-{k}") for k in ("agree", "disagree")]
    assert listed == card_colours

    page.evaluate("window.__sameDocument = 'yes'")
    item = page.get_by_role("listitem").last
    disagree = item.get_by_role("button", name="Disagree", exact=True)
    disagree.click()
    expect(item.get_by_role("status")).to_have_text("Your vote is changed.")
    expect(disagree).to_have_attribute("aria-pressed", "true")
    expect(item.get_by_role("button", name="Agree", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(item.locator(".current-vote")).to_have_text("Your vote: Disagree")
    expect(disagree).to_be_focused()
    expect(disagree).to_be_in_viewport()  # the person's place, with the answer beside it
    expect(item.get_by_role("status")).to_be_in_viewport()
    assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    assert_accessible(page, "a vote changed in place")
    assert api_counts(client, cid)["votes"] == 3


def test_without_javascript_a_changed_vote_comes_back_at_its_statement(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = page_without_its_scripts(new_page)
    vote_on_every_seed(page, cid)
    page.goto(f"/c/{cid}/votes")
    item = page.get_by_role("listitem").last
    item_id = item.get_attribute("id")
    item.get_by_role("button", name="Pass / unsure", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/votes#{item_id}$"))
    item = page.locator(f"#{item_id}")
    expect(item.get_by_role("status")).to_have_text("Your vote is changed.")
    expect(item.get_by_role("status")).to_be_in_viewport()
    expect(item.locator(".current-vote")).to_have_text("Your vote: Pass")
    assert_accessible(page, "a vote changed, no script")


def test_a_closed_consultation_shows_its_results_not_a_statement(
    new_page, conversation, client, facilitator
):
    cid = conversation["id"]
    client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    expect(page.get_by_text("This consultation is closed")).to_be_visible()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.get_by_role("button", name="Agree", exact=True)).to_have_count(0)
    assert_accessible(page, "a closed consultation")
    page.get_by_role("link", name=re.compile("See the results")).click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/results$"))


def test_the_page_has_an_icon_and_headings_in_proportion(new_page, conversation):
    page = new_page(**PHONE)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"/c/{conversation['id']}")
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_attribute("type", "image/svg+xml")
    answer = page.request.get(icon.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert not any(url.endswith("/favicon.ico") for url in asked)

    def size(css: str) -> float:
        return page.locator(css).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")

    # The page's title, then the statement being voted on, then the section headings.
    assert size("h1") > size("#statement-text") > size("#voting-heading") > size("body")
    assert size("#add-heading") == size("#voting-heading")
    assert_accessible(page, "after load")
