"""The report page in a real Chromium, on a phone: the sentences, the PDF button, no sideways
scrolling, and the same page without JavaScript."""

from __future__ import annotations

import pytest
from browsing import PHONE
from conftest import create_conversation
from helpers import DISTINCT_STATEMENTS, SHARED, analyse, plant_votes

pytestmark = pytest.mark.browser


@pytest.fixture
def analysed(app, client, facilitator) -> str:
    """A consultation analysed before the live server (and its runner thread) starts: tests
    list it before `new_page`."""
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=40)
    analyse(app, cid)
    return cid


def test_on_a_phone_the_report_reads_in_words_and_offers_its_pdf(analysed, new_page):
    phone = new_page(**PHONE)
    phone.goto(f"/c/{analysed}/report")
    assert phone.get_by_role("heading", level=1).inner_text() == "Transport"
    button = phone.get_by_role("link", name="Download the report as PDF")
    assert button.is_visible()
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    body = phone.locator("main").inner_text().replace("\u00a0", " ")
    assert "2 opinion groups were found; the division between them is clear." in body
    assert "a clear majority, including a majority of every group" in body
    for statement in SHARED:
        assert statement in body
    assert phone.get_by_role("img", name="Opinion map", exact=True).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    with phone.expect_download() as download:
        button.click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_without_javascript_the_report_and_its_filter_work(analysed, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(f"/c/{analysed}/report")
    page.get_by_label("Statements").select_option("accepted")
    page.get_by_role("button", name="Show").click()
    assert page.url.endswith("statements=accepted")
    assert "Every statement" in page.locator("main").inner_text()
    assert page.locator("table.statement-table tbody").count() == len(DISTINCT_STATEMENTS)
