"""The facilitator's side in a real Chromium set to French or Arabic: a whole session in
French, and an Arabic page written right to left that fits a phone.

Uses conftest's browser fixtures (one Chromium for the module, a fresh context per test,
against `live_server` with CSRF on; every page's last state passes axe-core).
"""

from __future__ import annotations

import re

import pytest
from browsing import PHONE, assert_fits_the_phone, vote_in_camps
from conftest import create_conversation, join
from playwright.sync_api import Page, expect
from sqlalchemy import select
from test_facilitators_browser import submit

from consult.extensions import db
from consult.models import Analysis

pytestmark = pytest.mark.browser

FRENCH = {"locale": "fr-FR"}
ARABIC = {"locale": "ar"}
# Words of the facilitator's pages in English that a French page must not show.
ENGLISH = (
    "Your consultations",
    "New consultation",
    "Log out",
    "Moderate statements",
    "Invitation links",
    "Where people agree",
    "Opinion groups",
    "Methodology",
)


def log_in_in_french(page: Page, email: str, password: str) -> None:
    page.goto("/facilitate/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion des animateurs")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos consultations")


def assert_no_english(page: Page) -> None:
    text = page.locator("body").inner_text()
    found = [words for words in ENGLISH if words in text]
    assert not found, f"{page.url} shows English: {found}"


def test_a_french_facilitator_runs_a_consultation_in_french(
    new_page,
    facilitator,
    client,
    live_server,
):
    desk = new_page(**FRENCH)
    log_in_in_french(desk, facilitator.email, facilitator.password)
    expect(desk.locator("html")).to_have_attribute("lang", "fr")
    assert_no_english(desk)

    desk.get_by_role("link", name="Nouvelle consultation").click()
    desk.get_by_label("Titre", exact=True).fill("Vélos en ville")
    desk.get_by_label("Propositions de départ, une par ligne").fill(
        "Des arceaux à chaque gare.\nLe casque obligatoire.\nDes pistes séparées des voitures."
    )
    desk.get_by_label("Modération stricte").check()
    desk.get_by_role("button", name="Créer la consultation").click()
    expect(desk.locator(".message-success")).to_have_text(
        "La consultation est créée. Partagez son lien avec les participants."
    )
    expect(desk.get_by_role("heading", level=1)).to_have_text("Vélos en ville")
    assert_no_english(desk)
    link = desk.get_by_text("Lien des participants").get_by_role("link").get_attribute("href")
    cid = link.rstrip("/").rsplit("/", 1)[-1]

    mine = "Des parkings à vélos couverts."
    submit(client, cid, join(client, cid), mine)
    desk.get_by_role("link", name="Modérer les propositions").click()
    tabs = desk.get_by_role("navigation", name="Statut de modération")
    expect(tabs.get_by_role("link", name="En attente (1)")).to_have_attribute(
        "aria-current", "page"
    )
    row = desk.get_by_role("row").filter(has_text=mine)
    expect(row).to_contain_text("Participant n° 1")
    expect(row).to_contain_text("en attente")
    row.get_by_role("checkbox").check()
    desk.get_by_role("button", name="Accepter", exact=True).click()
    expect(desk.locator(".message-success")).to_have_text("1 proposition modifiée : acceptée.")
    assert_no_english(desk)

    vote_in_camps(live_server, cid, voters=20)
    desk.goto(f"/facilitate/c/{cid}/live")
    expect(desk.get_by_role("heading", name="Là où les gens sont d’accord")).to_be_visible()
    expect(desk.locator("#opinion-map circle.dot")).to_have_count(
        21, timeout=20_000
    )  # and the author
    expect(desk.get_by_role("link", name="Vue de présentation")).to_be_visible()
    # What the division is, in the report's words, in French: two camps of ten and the
    # author may read as groups or as a spectrum, depending on the analyses' timing.
    expect(desk.locator("#division")).to_contain_text(
        re.compile("groupes d’opinion ont été trouvés|Les opinions s’étalent le long d’un axe")
    )
    assert_no_english(desk)

    desk.get_by_role("link", name="Rapport", exact=True).click()
    expect(desk.locator(".report-kicker")).to_have_text("Rapport de consultation", timeout=20_000)
    expect(desk.get_by_role("heading", name="Méthodologie")).to_be_visible()
    expect(desk.get_by_role("link", name="Télécharger le rapport en PDF")).to_be_visible()
    assert_no_english(desk)


def test_a_spectrum_is_said_on_the_live_page_not_no_division(
    new_page,
    app,
    facilitator,
    analysed,
    live_server,
):
    """The consult profile reports a spectrum as one group; the live page must say
    opinions spread along an axis, not that there is no division."""
    with app.app_context():
        latest = db.session.scalars(
            select(Analysis)
            .where(Analysis.conversation_id == analysed)
            .order_by(Analysis.version.desc())
        ).first()
        view = dict(latest.view)
        view["division"] = {**view["division"], "strength": "spectrum", "n_groups": 1}
        latest.view = view
        db.session.commit()
    desk = new_page(**FRENCH)
    log_in_in_french(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{analysed}/live")
    expect(desk.locator("#division")).to_contain_text("Les opinions s’étalent le long d’un axe")
    assert "division" not in desk.locator("#division").inner_text()


def test_an_arabic_facilitator_page_is_right_to_left_and_fits_a_phone(
    new_page,
    facilitator,
    client,
):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    submit(client, cid, join(client, cid), "See https://example.org/" + "a-long-path-" * 6)
    desk = new_page(**ARABIC, **PHONE)
    desk.goto("/facilitate/login")
    desk.get_by_label("البريد الإلكتروني").fill(facilitator.email)
    desk.get_by_label("كلمة المرور").fill(facilitator.password)
    desk.get_by_role("button", name="تسجيل الدخول").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("استشاراتك")
    for path in ("/facilitate/", f"/facilitate/c/{cid}", f"/facilitate/c/{cid}/moderate"):
        desk.goto(path)
        expect(desk.locator("html")).to_have_attribute("dir", "rtl")
        assert_fits_the_phone(desk, path)
