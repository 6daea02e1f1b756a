"""Other languages on the citizens' pages: complete catalogues, and pages that follow the
browser, the switcher and the right-to-left script."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import SEEDS, create_conversation
from helpers import shown_statement_id

from consult.errors import too_many_requests
from consult.i18n import COOKIE, LOCALES, TRANSLATIONS
from consult.locale_format import long_date, number
from consult.services.errors import InvalidInput
from consult.services.text import clean_text

ROOT = Path(__file__).parent.parent
TRANSLATED = sorted(set(LOCALES) - {"en"})
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
# Translations that may equal the English: names, and words French and Spanish share.
SAME_AS_ENGLISH = {
    "Consult",
    "JSON",
    "Page %(page)s of %(pages)s",
    "Error %(status)s",  # Spanish
    "Position (x, y)",  # French
    "Segments",  # French
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted_messages() -> set[str]:
    """The msgids in the code and templates now, as `pybabel extract -F babel.cfg` finds them."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {forms(message)[0] for *_, message, _, _ in found}


def catalogue(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def forms(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message's id or string as a tuple: one item, or one per plural form."""
    return (text,) if isinstance(text, str) else tuple(text)


def singular(message) -> str:
    return forms(message.id)[0]


def test_the_template_lists_every_string_in_the_code_and_templates():
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        template = {singular(m) for m in read_po(pot) if m.id}
    assert extracted_messages() == template, "run pybabel extract (README, Other languages)"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_string_is_translated(locale):
    translated = {
        singular(m)
        for m in catalogue(locale)
        if m.id and all(forms(m.string)) and "fuzzy" not in m.flags
    }
    missing = extracted_messages() - translated
    assert not missing, f"{locale} lacks: {sorted(missing)}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_are_not_left_in_english(locale):
    same = [m.id for m in catalogue(locale) if m.id and isinstance(m.id, str) and m.string == m.id]
    assert set(same) <= SAME_AS_ENGLISH, f"{locale} copies the English: {same}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_placeholders(locale):
    for message in catalogue(locale):
        if not message.id:
            continue
        ids, strings = forms(message.id), forms(message.string)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # A plural form may spell its number out ("one", "two" in Arabic), never add one.
            assert found <= wanted if len(ids) > 1 else found == wanted, (locale, string)


def test_arabic_plurals_have_their_own_one_two_and_many():
    """Arabic says one, two and 3–10 of a thing each its own way: a plural message that
    gives the six forms one text is a translation left half done."""
    arabic = catalogue("ar")
    assert arabic.plural_expr.startswith("(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 :")  # forms 1, 2, 3
    for message in arabic:
        if message.id and message.pluralizable:
            assert len(set(message.string[1:4])) == 3, message.id[0]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_compiled_catalogue_is_up_to_date(locale):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(locale))
    shipped = (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled.getvalue() == shipped, "run pybabel compile (README, Other languages)"


def test_english_is_the_default(client, conversation):
    page = client.get(f"/c/{conversation['id']}").data.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert "3 statements left" in page


@pytest.mark.parametrize("accept", ["", "de-DE,de;q=0.9", "xx", "*", ";;;q=zz,", "fr;q=abc"])
def test_unknown_or_junk_languages_fall_back_to_english(client, conversation, accept):
    page = client.get(f"/c/{conversation['id']}", headers={"Accept-Language": accept})
    assert page.status_code == 200
    assert 'dir="ltr"' in page.data.decode()


def test_a_french_browser_gets_the_voting_page_in_french(client, conversation):
    page = client.get(
        f"/c/{conversation['id']}", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    ).data.decode()
    assert '<html lang="fr" dir="ltr">' in page
    for text in ("3 propositions restantes", "D’accord", "Pas d’accord", "Ajouter la proposition"):
        assert text in page
    # What citizens wrote is shown as written, never translated.
    assert any(seed in page for seed in SEEDS)
    assert "Transport" in page


def test_pages_say_they_vary_by_language(client, conversation):
    vary = client.get(f"/c/{conversation['id']}").headers["Vary"]
    assert "Accept-Language" in vary
    assert "Cookie" in vary


def test_arabic_is_written_right_to_left(client, conversation):
    page = client.get(f"/c/{conversation['id']}", headers={"Accept-Language": "ar"}).data
    assert '<html lang="ar" dir="rtl">' in page.decode()
    assert "أوافق" in page.decode()


def test_the_switcher_changes_the_language_and_remembers_it(client, conversation):
    path = f"/c/{conversation['id']}"
    page = client.get(path, headers={"Accept-Language": "fr"}).data.decode()
    assert f'href="/language/es?next={path}' in page  # the switcher is plain links
    response = client.get(f"/language/es?next={path}", headers={"Accept-Language": "fr"})
    assert response.status_code == 302
    assert response.headers["Location"] == path
    page = client.get(path, headers={"Accept-Language": "fr"}).data.decode()
    assert '<html lang="es" dir="ltr">' in page
    assert "Quedan 3 afirmaciones" in page


def test_a_flashed_message_follows_the_language(client, conversation):
    path = f"/c/{conversation['id']}"
    client.get("/language/fr")
    statement_id = shown_statement_id(client.get(path).data)
    client.post(f"{path}/vote", data={"statement_id": statement_id, "vote": "-1"})
    assert "Vote enregistré : Pas d’accord" in client.get(path).data.decode()


@pytest.mark.parametrize(
    "query", ["?next=//evil.example/", "?next=https://evil.example/", "?next=%5C%5Cevil", ""]
)
@pytest.mark.parametrize("code", ["ar", "zz", "..", "%00"])
def test_the_switcher_refuses_junk_and_redirects_only_on_this_site(client, code, query):
    response = client.get(f"/language/{code}{query}")
    assert response.status_code in (302, 400, 404)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/")
        assert not response.headers["Location"].startswith("//")


def test_a_junk_language_cookie_falls_back_to_english(client, conversation):
    client.set_cookie(COOKIE, "<script>")
    page = client.get(f"/c/{conversation['id']}")
    assert page.status_code == 200
    assert '<html lang="en" dir="ltr">' in page.data.decode()


def script_strings(page: str, holder: str) -> dict:
    """The translated sentences a page gives its script, from the holder's data attribute."""
    found = re.search(rf'id="{holder}" hidden data-strings=\'([^\']*)\'', page)
    assert found, f"no #{holder} on the page"
    return json.loads(html.unescape(found.group(1)))


def test_the_voting_script_gets_its_sentences_in_french(client, conversation):
    page = client.get(f"/c/{conversation['id']}", headers={"Accept-Language": "fr"})
    strings = script_strings(page.data.decode(), "participate-strings")
    assert strings["voteRecorded"] == "Vote enregistré : {choice}"
    assert strings["agree"] == "D’accord"
    assert strings["tooManyCharacters"] == "{count} caractères sur {limit} : {over} de trop"
    # Every plural form French has, named as the script's Intl.PluralRules names them.
    assert strings["statementsLeft"] == {
        "one": "{n} proposition restante",
        "many": "{n} de propositions restantes",
        "other": "{n} propositions restantes",
    }


def test_the_scripts_get_the_six_arabic_plural_forms(client, facilitator):
    cid = create_conversation(client, facilitator, results_public=True)["id"]
    page = client.get(f"/c/{cid}/results", headers={"Accept-Language": "ar"}).data.decode()
    people = script_strings(page, "live-strings")["people"]
    assert set(people) == {"zero", "one", "two", "few", "many", "other"}
    assert people["two"] == "شخصان"  # the dual: no number written
    assert people["few"] == "{n} أشخاص"


def test_english_scripts_keep_their_english_sentences(client, conversation):
    page = client.get(f"/c/{conversation['id']}").data.decode()
    strings = script_strings(page, "participate-strings")
    left = {"one": "{n} statement left", "other": "{n} statements left"}
    assert strings["statementsLeft"] == left
    assert strings["characters"] == "{count} of {limit} characters"


def test_a_refusal_from_the_services_follows_the_language(client, conversation):
    refused = client.post(
        f"/c/{conversation['id']}/statements",
        data={"text": SEEDS[0].upper()},
        headers={"Accept": "application/json", "Accept-Language": "es"},
    )
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "duplicate_statement"  # the code stays as programs expect it
    assert error["message"] == f"Esta afirmación ya está aquí: «\u2068{SEEDS[0]}\u2069»"


def test_service_messages_are_english_outside_a_request(app):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        clean_text(7, "text", max_length=10)  # as the CLI or the math worker would
    assert refused.value.message == "text must be a string."


def test_an_error_page_is_in_the_browsers_language(client):
    page = client.get("/c/no-such-consultation", headers={"Accept-Language": "es"})
    assert page.status_code == 404
    text = page.data.decode()
    assert "No encontrado" in text
    assert "Volver a la página de inicio" in text


def test_too_many_requests_says_its_wait_in_the_language(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        response, status = too_many_requests(1)
    assert status == 429
    assert "Veuillez réessayer dans 1 seconde." in response.get_data(as_text=True)


def test_outcome_dates_are_written_the_language_s_way(app):
    moment = datetime(2026, 12, 2, 9, 30)
    expected = {
        "en": "2 December 2026",
        "fr": "2 décembre 2026",
        "es": "2 de diciembre de 2026",
        "ar": "2 ديسمبر 2026",
    }
    for locale, written in expected.items():
        with app.test_request_context(headers={"Accept-Language": locale}):
            assert long_date(moment) == written


def test_numbers_are_written_the_language_s_way(app):
    expected = {"en": "12,345", "fr": "12\u202f345", "es": "12.345", "ar": "12,345"}
    for locale, written in expected.items():
        with app.test_request_context(headers={"Accept-Language": locale}):
            assert number(12345) == written
