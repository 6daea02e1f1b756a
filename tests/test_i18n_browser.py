"""Other languages in a real Chromium: a French browser takes part from start to end in
French, scripts' messages included, and Arabic pages are mirrored on a phone."""

from __future__ import annotations

import pytest
from accessibility import assert_accessible
from browsing import PHONE, assert_fits_the_phone
from conftest import SEEDS, create_conversation
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

MINE = "Les trams devraient rouler toute la nuit."
# What an English page or script says: none of it may show on a French page.
ENGLISH = (
    "Agree",
    "Vote recorded",
    "statements left",
    "Add statement",
    "already here",
    "characters",
    "Writing it counts",
    "Your votes",
)


def assert_no_english(page: Page) -> None:
    shown = page.locator("main").inner_text()
    for text in ENGLISH:
        assert text not in shown, f"English left on the page: {text!r}"


def test_second_language_end_to_end(new_page, conversation):
    """French from the browser's language: voting, writing, a refusal, the scripts' words;
    then the switcher moves everything to Spanish."""
    page = new_page(locale="fr-FR", **PHONE)
    page.goto(f"/c/{conversation['id']}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#progress")).to_have_text("3 propositions restantes")

    page.get_by_role("button", name="D’accord", exact=True).click()  # the script's vote
    expect(page.locator("#vote-status")).to_have_text("Vote enregistré : D’accord")
    expect(page.locator("#progress")).to_have_text("2 propositions restantes")
    page.get_by_role("button", name="Pas d’accord", exact=True).click()
    expect(page.locator("#progress")).to_have_text("1 proposition restante")
    assert_accessible(page, "French, after two votes")

    box = page.get_by_label("Une question à poser aux autres")
    counter = page.locator("#statement-count")
    expect(counter).to_have_text("0 caractères sur 280")
    box.fill("Trams " * 50)
    expect(counter).to_have_text("300 caractères sur 280 : 20 de trop")

    box.fill(SEEDS[2].upper())  # a repeat: refused by the service, in French
    page.get_by_role("button", name="Ajouter la proposition").click()
    status = page.locator("#statement-status")
    expect(status).to_have_text(f"Cette proposition est déjà là : « \u2068{SEEDS[2]}\u2069 »")
    expect(box).to_have_value(SEEDS[2].upper())  # kept, to change it

    box.fill(MINE)
    page.get_by_role("button", name="Ajouter la proposition").click()
    expect(status).to_have_text("Ajoutée. L’avoir écrite compte comme un vote « D’accord ».")
    expect(page.locator("#voted-count")).to_have_text("3")
    assert_no_english(page)
    assert_accessible(page, "French, a statement added")

    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#progress")).to_have_text("Queda 1 afirmación")
    page.get_by_role("button", name="De acuerdo", exact=True).click()
    expect(page.locator("#vote-status")).to_have_text("Voto registrado: De acuerdo")
    expect(page.locator("#progress")).to_have_text("Por ahora has visto todas las afirmaciones.")


def test_arabic_on_a_phone_is_mirrored_and_fits(new_page, client, facilitator):
    cid = create_conversation(client, facilitator, results_public=True)["id"]
    page = new_page(locale="ar", **PHONE)
    page.goto(f"/c/{cid}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#progress")).to_have_text("بقيت 3 عبارات")

    # Right to left: the first choice, "agree", stands to the right of the second.
    agree = page.get_by_role("button", name="أوافق", exact=True)
    disagree = page.get_by_role("button", name="لا أوافق", exact=True)
    agree_box, disagree_box = agree.bounding_box(), disagree.bounding_box()
    assert agree_box["x"] > disagree_box["x"] + disagree_box["width"] - 1
    assert_fits_the_phone(page)

    agree.click()
    expect(page.locator("#progress")).to_have_text("بقيت عبارتان")  # the dual form
    message = page.locator("#vote-status .message")
    expect(message).to_have_text("تم تسجيل صوتك: أوافق")
    # The message's coloured edge is on the side the text starts from: the right.
    edges = message.evaluate(
        "m => [getComputedStyle(m).borderRightWidth, getComputedStyle(m).borderLeftWidth]"
    )
    assert edges == ["4px", "0px"]
    # An English statement keeps its own direction: its full stop stays at its end.
    expect(page.locator("#statement-text")).to_have_css("unicode-bidi", "plaintext")
    assert_fits_the_phone(page)
    assert_accessible(page, "Arabic, after a vote")

    for path in (f"/c/{cid}/votes", f"/c/{cid}/my-data", f"/c/{cid}/results", "/"):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        assert_fits_the_phone(page)
        assert_accessible(page, f"Arabic, {path}")
    page.goto(f"/c/{cid}/results")
    expect(page.locator("#live-status")).to_contain_text("آخر تحديث")  # the script's Arabic
