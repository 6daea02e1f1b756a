"""Other languages on the facilitator's side: their pages, messages, the report and its PDF
follow the browser's language; the services still speak English outside a request."""

from __future__ import annotations

import re

import pytest
from conftest import create_conversation, join
from test_report import page_text, pdf_text

from consult.services import users
from consult.services.errors import InvalidInput
from consult.services.report_sentences import statement_sentences

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
ARABIC = {"Accept-Language": "ar"}
API = "/api/v1/conversations"


def log_in(client, who, headers=FRENCH):
    data = {"email": who.email, "password": who.password}
    assert client.post("/facilitate/login", data=data, headers=headers).status_code == 302


def test_a_french_facilitator_gets_the_dashboard_and_the_consultation_in_french(
    client, facilitator, conversation
):
    log_in(client, facilitator)
    dashboard = client.get("/facilitate/", headers=FRENCH).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in dashboard
    for text in ("Vos consultations", "Nouvelle consultation", "Se déconnecter", "ouverte"):
        assert text in dashboard
    manage = client.get(f"/facilitate/c/{conversation['id']}", headers=FRENCH).get_data(
        as_text=True
    )
    for text in ("Liens d’invitation", "Fermer la consultation", "Modérer les propositions"):
        assert text in manage
    for english in ("Your consultations", "Invitation links", "Close consultation"):
        assert english not in manage
    # What the facilitator wrote is shown as written.
    assert "Transport" in manage


def test_the_switcher_is_on_the_facilitators_pages_and_they_follow_it(client, facilitator):
    log_in(client, facilitator)
    page = client.get("/facilitate/", headers=FRENCH).get_data(as_text=True)
    assert 'href="/language/es?next=/facilitate/' in page
    client.get("/language/es?next=/facilitate/", headers=FRENCH)
    page = client.get("/facilitate/", headers=FRENCH).get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in page
    assert "Sus consultas" in page


def test_the_copy_buttons_words_reach_the_script_translated(client, facilitator, conversation):
    log_in(client, facilitator)
    page = client.get(f"/facilitate/c/{conversation['id']}", headers=SPANISH).get_data(as_text=True)
    strings = re.search(r"id=\"facilitate-strings\" hidden data-strings='([^']+)'", page)
    assert strings, "facilitate.js gets its words from the page"
    assert "Copiado" in strings.group(1)


def test_moderation_flash_and_plurals_are_french(client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    author = join(client, cid)
    ids = [
        client.post(f"{API}/{cid}/statements", json={"text": text}, headers=author).json["id"]
        for text in ("Trams should run all night.", "Ferries need a second pier.")
    ]
    log_in(client, facilitator)
    done = client.post(
        f"/facilitate/c/{cid}/moderate",
        data={"action": "accept", "statement_ids": [str(i) for i in ids]},
        headers=FRENCH,
    )
    page = client.get(done.headers["Location"], headers=FRENCH).get_data(as_text=True)
    assert "2 propositions modifiées : acceptées." in page
    queue = client.get(f"/facilitate/c/{cid}/moderate?status=all", headers=FRENCH).get_data(
        as_text=True
    )
    assert "Participant n° 1" in queue
    assert "5 propositions, page 1 sur 1" in queue
    assert "Tout sélectionner" in queue


def test_a_refused_login_is_explained_in_arabic_right_to_left(client, facilitator):
    data = {"email": facilitator.email, "password": "not the password"}
    page = client.post("/facilitate/login", data=data, headers=ARABIC).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "البريد الإلكتروني أو كلمة المرور غير صحيحة." in page
    assert "Wrong email or password." not in page


def test_the_presentation_view_follows_the_language(client, facilitator, conversation):
    log_in(client, facilitator, ARABIC)
    page = client.get(f"/facilitate/c/{conversation['id']}/present", headers=ARABIC)
    assert '<html lang="ar" dir="rtl" class="presentation">' in page.get_data(as_text=True)


def test_dates_on_the_account_page_are_written_the_french_way(client, facilitator):
    log_in(client, facilitator)
    page = client.get("/facilitate/account", headers=FRENCH).get_data(as_text=True)
    # "2 déc. 2026 à 09:05": the locale's month, and the day before it.
    assert re.search(r'<time datetime="[^"]+">\d+ \w+\.? \d{4} à \d\d:\d\d</time>', page), page
    assert "Votre compte" in page


def test_the_report_page_is_in_french(client, analysed):
    text = page_text(client.get(f"/c/{analysed}/report", headers=FRENCH))
    for french in (
        "Rapport de consultation",
        "Groupes d’opinion",
        "Là où la plupart des participants sont d’accord",
        "Méthodologie",
        "qui ont voté dessus",
    ):
        assert french in text
    for english in ("Opinion groups", "Methodology", "who voted on it", "Group A"):
        assert english not in text
    # The dates name the month in French, and say UTC.
    assert re.search(
        r"\d+ (janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
        r"octobre|novembre|décembre) \d{4} à \d\d:\d\d UTC",
        text,
    ), text


def test_the_pdf_is_in_the_language_of_the_request(client, analysed, tmp_path):
    response = client.get(f"/c/{analysed}/report.pdf", headers=FRENCH)
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path).casefold()  # the kicker is in capitals
    for french in ("rapport de consultation", "méthodologie", "toutes les propositions"):
        assert french in text
    assert "page 1 sur" in text  # the running footer too
    for english in ("methodology", "consult report", "page 1 of"):
        assert english not in text


def test_the_report_in_arabic_is_right_to_left_on_the_page_and_in_the_pdf(
    client, analysed, tmp_path
):
    page = client.get(f"/c/{analysed}/report", headers=ARABIC).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تقرير الاستشارة" in page
    # The PDF's font draws Arabic (pdftotext gives back the words, ligatures aside).
    text = pdf_text(client.get(f"/c/{analysed}/report.pdf", headers=ARABIC).data, tmp_path)
    assert "تقرير" in text
    assert "المنهجية" in text


@pytest.mark.parametrize(
    ("headers", "one", "many"),
    [
        (FRENCH, "1 participant qui a voté dessus", "12 participants qui ont voté dessus"),
        (SPANISH, "1 participante que votó", "12 participantes que votaron"),
        (ARABIC, "المشارك الوحيد", "12 مشاركًا"),
    ],
)
def test_report_sentences_take_the_right_plural(app, headers, one, many):
    claims = type("Claims", (), {"consensus_agree": set(), "consensus_disagree": set()})
    claims.min_statement_votes = 10
    for seen, expected in ((1, one), (12, many)):
        row = {"id": 1, "n_seen": seen, "agree_share": 1.0, "disagree_share": 0.0}
        with app.test_request_context(headers=headers):
            assert expected in statement_sentences(row, claims, {})[0]


def test_services_speak_english_outside_a_request(app):
    # The CLI and the worker have an app but no request: no locale to look up, no error.
    with app.app_context(), pytest.raises(InvalidInput, match="A password needs at least"):
        users.create_user("ana@example.org", "short")


def test_the_same_service_message_is_french_in_a_french_request(app):
    with app.test_request_context(headers=FRENCH), pytest.raises(InvalidInput) as refused:
        users.create_user("ana@example.org", "short")
    assert refused.value.message.startswith("Un mot de passe doit avoir au moins")
