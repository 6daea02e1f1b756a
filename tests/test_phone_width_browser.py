"""Every page fits a 390 px phone whatever people typed into it: a link or one long word in a
topic, question or description, a token's long name, options translated into longer words,
and the facilitator's tables.

The fixtures `browser` and `new_page` are in conftest; `live_server` serves the same database
as `client`.
"""

from __future__ import annotations

import pytest
from browsing import PHONE, assert_fits_the_phone, log_in
from conftest import create_conversation, join
from helpers import DISTINCT_STATEMENTS, analyse, plant_votes
from playwright.sync_api import Page

from consult.extensions import db
from consult.models import User
from consult.services import api_tokens

pytestmark = pytest.mark.browser

LINK = "https://www.citycouncil.example.gov/transport/budget-2027/consultation-documents/plan.pdf"
LONG_WORD = "Verkehrsinfrastrukturfinanzierungsgesetzgebungsverfahrensbeschleunigung"
API = "/api/v1/conversations"


@pytest.fixture
def wordy(app, client, facilitator) -> str:
    """An analysed consultation whose topic, question and description hold a link and one
    long word."""
    cid = create_conversation(
        client,
        facilitator,
        topic=f"{LONG_WORD} {LINK}",
        question=f"What should {LINK} say about {LONG_WORD}?",
        description=f"Read {LINK} first.",
        seed_statements=DISTINCT_STATEMENTS,
    )["id"]
    plant_votes(app, cid, voters=40)
    analyse(app, cid)
    return cid


def test_the_map_as_a_table_fits_in_every_language(new_page, wordy):
    page = new_page(**PHONE)
    for language in ("fr", "es", "en"):
        page.goto(f"/language/{language}?next=/c/{wordy}/results")
        page.locator(".map-table summary").click()
        page.locator("#map-table table").wait_for()
        assert_fits_the_phone(page, f"the map as a table ({language})")
    named = page.locator('[aria-label="The opinion map as a table"]')
    assert named.count() == 1  # the map's table box alone (the groups' votes have their own)
    # A group card's size wraps under its name on a phone: no separator left leading it.
    sizes = page.locator("#group-cards summary span").all_inner_texts()
    assert sizes
    assert not any(size.lstrip().startswith("·") for size in sizes)


def facilitator_on_a_phone(new_page, facilitator) -> Page:
    page = new_page(**PHONE)
    log_in(page, facilitator.email, facilitator.password)
    return page


def test_the_citizens_pages_fit_whatever_the_topic(new_page, wordy):
    page = new_page(**PHONE)
    for path in (f"/c/{wordy}", f"/c/{wordy}/results", f"/c/{wordy}/report"):
        page.goto(path)
        assert_fits_the_phone(page, path)
    page.goto("/language/fr")
    page.goto(f"/c/{wordy}/report")  # "Toutes celles montrées aux participants"
    assert_fits_the_phone(page, "the report in French")
    # "Vos votes (0) : les revoir ou les modifier · Vos données": where the line breaks, the
    # "·" goes down with "Vos données", never left at the end of the line above.
    page.goto(f"/c/{wordy}")
    tops = page.locator(".own-links").first.evaluate(
        """links => {
          const walker = document.createTreeWalker(links, NodeFilter.SHOW_TEXT);
          let dot = null;
          while (walker.nextNode()) {
            if (walker.currentNode.data.includes("·")) dot = walker.currentNode;
          }
          const range = document.createRange();
          range.selectNode(dot);
          const data = links.querySelectorAll("a")[1];
          return [range.getClientRects()[0].top, data.getClientRects()[0].top];
        }"""
    )
    assert abs(tops[0] - tops[1]) < 12, tops


def test_the_facilitators_pages_fit_whatever_was_typed(new_page, app, client, facilitator, wordy):
    for _ in range(6):  # six look-alike newcomers from one network: a burst
        voter = join(client, wordy)
        for statement_id in (
            s["id"] for s in client.get(f"{API}/{wordy}/statements").json["statements"]
        ):
            client.post(
                f"{API}/{wordy}/votes",
                json={"statement_id": statement_id, "vote": 1},
                headers=voter,
            )
    with app.app_context():
        api_tokens.issue(db.session.get(User, facilitator.id), name=LONG_WORD)
    page = facilitator_on_a_phone(new_page, facilitator)
    for path in (
        f"/facilitate/c/{wordy}/present",
        f"/facilitate/c/{wordy}/bursts",
        "/facilitate/account",
    ):
        page.goto(path)
        assert_fits_the_phone(page, path)
    page.goto(f"/facilitate/c/{wordy}/bursts")
    assert page.get_by_role("button", name="Leave out of the analysis").count() == 1
    page.goto(f"/facilitate/c/{wordy}/moderate")
    lines = page.get_by_role("button", name="Search", exact=True).evaluate(
        "button => { const r = document.createRange(); r.selectNodeContents(button);"
        " return new Set([...r.getClientRects()].map((box) => Math.round(box.top))).size; }"
    )
    assert lines == 1  # not "Sear/ch"
    for language in ("fr", "es"):
        page.goto(f"/language/{language}")
        page.goto("/facilitate/account")
        assert_fits_the_phone(page, f"the account page in {language}")
