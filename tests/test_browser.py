"""The pages in a real Chromium, through Playwright: with and without JavaScript, by keyboard,
on a phone, closed consultations, hostile statements, and a facilitator's day.

One browser for the module, a new context (fresh cookies) per test, against `live_server`
(CSRF on). Chromium comes from the system (/usr/bin/chromium); without it, or without the
playwright package, these tests skip (or fail in CI, see conftest.require_service).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from accessibility import assert_accessible, assert_accessible_as_shown_without_scripts
from conftest import SEEDS, create_conversation, join, require_service
from flask.testing import FlaskClient
from helpers import DISTINCT_STATEMENTS
from sqlalchemy import select

from consult.extensions import db
from consult.models import Vote

try:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover -- the browser fixture skips
    sync_playwright = None

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
API = "/api/v1/conversations"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_service(sync_playwright is not None, "the playwright package is not installed")
    require_service(os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Make a page in a new browser context (its own cookies) on the live server.

    Every context is closed after the test, and the test fails if any page threw an uncaught
    JavaScript error, the server answered 5xx, something the page asked for was not found,
    or a page's last state breaks an axe-core rule.
    """
    contexts = []
    without_scripts: set[int] = set()  # axe-core is a script: checked from a copy there
    problems: list[str] = []

    def check(status: int, url: str) -> None:
        if status >= 500 or (status == 404 and not url.endswith("/favicon.ico")):
            problems.append(f"{status}: {url}")

    def make(**options: Any) -> Page:
        context = browser.new_context(base_url=live_server, **options)
        if options.get("java_script_enabled") is False:
            without_scripts.add(id(context))
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: problems.append(f"uncaught: {error.error}"))
        context.on("response", lambda response: check(response.status, response.url))
        contexts.append(context)
        page = context.new_page()
        page.on("response", lambda response: remember_document_type(page, response))
        return page

    document_types: dict[int, str] = {}  # page -> its document's content type

    def remember_document_type(page: Page, response: Any) -> None:
        # page.evaluate never answers where JavaScript is off: the response says instead.
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            document_types[id(page)] = response.headers.get("content-type", "")

    yield make
    try:
        for context in contexts:
            for page in context.pages:
                # Every page's last state passes axe-core too (tests check earlier states).
                if id(context) in without_scripts:
                    if document_types.get(id(page), "").startswith("text/html"):
                        assert_accessible_as_shown_without_scripts(
                            browser, page, "the test's last state"
                        )
                elif page.evaluate("document.contentType") == "text/html":
                    assert_accessible(page, "the test's last state")
    finally:
        for context in contexts:
            context.close()
    assert not problems, problems


def api_counts(client: FlaskClient, conversation_id: str) -> dict[str, int]:
    response = client.get(f"{API}/{conversation_id}")
    assert response.status_code == 200
    return response.json["counts"]


def agree(page: Page) -> Locator:
    return page.get_by_role("button", name="Agree", exact=True)


def statements_left(count: int) -> str:
    return f"{count} statement left" if count == 1 else f"{count} statements left"


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


def test_with_javascript_an_exact_repeat_is_refused_and_the_text_kept(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    page.evaluate("window.__sameDocument = 'yes'")
    box = page.get_by_label("Something others should be asked about")
    messages = page.locator("#statement-status")

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
        f"This statement is already here: “{SEEDS[0]}”"
    )
    expect(messages.locator(".message-success")).to_have_count(0)
    expect(box).to_have_value(duplicate)  # kept, so it can be reworded
    expect(page.get_by_role("button", name="Add mine anyway")).to_be_hidden()
    assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    assert api_counts(client, cid)["statements"] == 4


def test_with_javascript_dissent_is_added_and_a_similar_one_offered(new_page, conversation, client):
    cid = conversation["id"]
    page = new_page()
    page.goto(f"/c/{cid}")
    page.evaluate("window.__sameDocument = 'yes'")
    box = page.get_by_label("Something others should be asked about")
    messages = page.locator("#statement-status")
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

    box.fill("Parking in the centre is to cheap!")
    page.get_by_role("button", name="Add statement").click()
    similar.get_by_role("button", name="Disagree").click()
    expect(messages.locator(".message-success")).to_have_text("Your vote is counted.")
    expect(similar).to_be_hidden()
    assert page.evaluate("window.__sameDocument") == "yes", "the page reloaded"
    counts = api_counts(client, cid)
    assert (counts["statements"], counts["votes"]) == (5, 3)  # 2 by writing, 1 by voting


def test_without_javascript_a_refused_statement_is_explained_and_kept(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page(java_script_enabled=False)
    page.goto(f"/c/{cid}")
    duplicate = "cycle lanes should be separated from cars"
    page.get_by_label("Something others should be asked about").fill(duplicate)
    page.get_by_role("button", name="Add statement").click()
    expect(page.locator(".message-error")).to_have_text(
        f"This statement is already here: “{SEEDS[1]}”"
    )
    expect(page).to_have_url(re.compile(rf"/c/{cid}#add-statement$"))
    expect(page.get_by_label("Something others should be asked about")).to_have_value(duplicate)
    assert api_counts(client, cid)["statements"] == 3


def test_without_javascript_a_similar_statement_is_offered_and_added_anyway(
    new_page, conversation, client
):
    cid = conversation["id"]
    page = new_page(java_script_enabled=False)
    page.goto(f"/c/{cid}")
    near = "Cycle lanes should be separated from the cars."
    page.get_by_label("Something others should be asked about").fill(near)
    page.get_by_role("button", name="Add statement").click()
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
    expect(page.locator(".message-error")).to_have_text(f"This statement is already here: “{XSS}”")
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


FIELD_LABELS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), textarea, select')].map(el => ({
        field: el.id || el.name,
        label: [...el.labels].map(l => l.textContent.trim()).join(' ')
            || el.getAttribute('aria-label') || ''
    }))"""


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


# -- facilitator -------------------------------------------------------------------------


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/facilitate/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


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


# -- live pages ---------------------------------------------------------------------------
LIVE_SEEDS = DISTINCT_STATEMENTS[:6]


def vote_in_camps(base: str, cid: str, voters: int, first: int = 0) -> None:
    """Participants vote through the live server's API, in two camps (as other people would)."""
    session = requests.Session()
    ids = [
        s["id"]
        for s in session.get(f"{base}{API}/{cid}/statements", timeout=30).json()["statements"]
    ]
    for n in range(first, first + voters):
        token = session.post(f"{base}{API}/{cid}/participants", timeout=30).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for k, sid in enumerate(ids):
            value = 1 if (k < len(ids) // 2) == (n % 2 == 0) else -1
            if (n + k) % 11 == 0:
                value = -value
            answer = session.post(
                f"{base}{API}/{cid}/votes",
                json={"statement_id": sid, "vote": value},
                headers=headers,
                timeout=30,
            )
            assert answer.status_code == 201


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

    # An open group stays open, and the keyboard reaches the map's group labels.
    desk.locator("#group-cards summary").first.click()
    tick = desk.locator("#live-status").inner_text()
    vote_in_camps(live_server, cid, voters=4, first=40)
    expect(desk.locator("#live-status")).not_to_have_text(tick, timeout=20_000)
    expect(desk.locator("#count-participants")).to_have_text("44", timeout=20_000)
    expect(desk.locator("#group-cards details").first).to_have_attribute("open", "")
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
