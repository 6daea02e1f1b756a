"""On a phone: a participant votes three times and answers the questions about who took
part; another skips them (without JavaScript). axe-core checks every state."""

from __future__ import annotations

import re

import pytest
from accessibility import assert_accessible
from browsing import PHONE, log_in
from conftest import create_conversation
from helpers import DISTINCT_STATEMENTS, analyse, plant_votes
from playwright.sync_api import Page, expect
from sqlalchemy import select
from test_questions import SEEDS

from consult.extensions import db
from consult.models import Answer, Participant
from consult.services import questions
from consult.services.consultations import get_conversation

pytestmark = pytest.mark.browser

API = "/api/v1/conversations"


@pytest.fixture
def cid(client, facilitator) -> str:
    cid = create_conversation(client, facilitator, seed_statements=SEEDS)["id"]
    for preset in ("age", "area"):
        response = client.post(
            f"{API}/{cid}/questions", json={"preset": preset}, headers=facilitator.headers
        )
        assert response.status_code == 201
    return cid


def vote_three_times(page: Page) -> None:
    for _ in range(3):
        expect(page.locator("#questions-form")).to_have_count(0)  # never before the third
        left = page.locator("#progress").inner_text()
        page.get_by_role("button", name="Agree", exact=True).click()
        expect(page.locator("#progress")).not_to_have_text(left)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


def test_votes_after_the_questions_appear_move_focus_to_the_next_statement(new_page, cid):
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    vote_three_times(page)
    expect(page.locator("#questions-heading")).to_be_focused()
    for _ in range(2):  # not answered: every answer still carries the questions
        left = page.locator("#progress").inner_text()
        page.get_by_role("button", name="Agree", exact=True).click()
        expect(page.locator("#progress")).not_to_have_text(left)
        expect(page.locator("#statement-text")).to_be_focused()


def test_on_a_phone_a_participant_answers_after_the_third_vote(new_page, cid, app):
    page = new_page(**PHONE)
    page.goto(f"/c/{cid}")
    vote_three_times(page)
    form = page.locator("#questions-form")
    expect(form).to_be_visible()
    expect(page.locator("#questions-heading")).to_be_focused()
    expect(page.get_by_role("group", name="How old are you?")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page, "the questions, after the third vote")
    page.get_by_label("25–34").check()
    page.get_by_label("In a city").check()
    page.get_by_role("button", name="Save answers").click()
    expect(page.locator("#vote-status")).to_have_text("Thank you: your answers are saved.")
    expect(page.locator("#questions-form")).to_have_count(0)
    expect(page.locator("#statement-text")).to_be_focused()  # not back at the top of the page
    assert_accessible(page, "answers saved")
    with app.app_context():
        assert sorted(db.session.scalars(select(Answer.choice))) == [0, 2]

    # Voting goes on, and they are not asked again.
    left = page.locator("#progress").inner_text()
    page.get_by_role("button", name="Agree", exact=True).click()
    expect(page.locator("#progress")).not_to_have_text(left)
    expect(page.locator("#questions-form")).to_have_count(0)

    page.get_by_role("link", name="Your data").click()
    expect(page.locator(".my-answers")).to_contain_text("25–34")
    assert_accessible(page, "your data, with the answers")
    page.get_by_role("button", name="Erase my answers").click()
    expect(page.get_by_text("Your answers to the questions about you are erased.")).to_be_visible()
    fits_the_phone(page)


def test_on_a_phone_without_javascript_another_skips_in_one_step(new_page, cid, app):
    page = new_page(**PHONE)
    page.route(re.compile(r"\.js(\?.*)?$"), lambda route: route.abort())
    page.goto(f"/c/{cid}")
    vote_three_times(page)
    expect(page.locator("#questions-form")).to_be_visible()
    expect(page.locator("#questions-heading")).to_be_focused()  # the vote's page goes there
    expect(page.locator("#questions-heading")).to_be_in_viewport()
    assert_accessible(page, "the questions, no script")
    page.get_by_role("button", name="Skip").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}#statement-text$"))
    expect(page.locator("#vote-status")).to_have_text("No questions, then. Thank you for voting.")
    expect(page.locator("#statement-text")).to_be_focused()
    expect(page.locator("#questions-form")).to_have_count(0)
    with app.app_context():
        assert db.session.scalars(select(Answer)).all() == []
        assert db.session.scalar(select(Participant.questions_done_at)) is not None


def test_on_a_phone_a_facilitator_adds_a_preset_and_edits_its_choices(
    new_page, facilitator, client
):
    cid = create_conversation(client, facilitator, seed_statements=SEEDS)["id"]
    desk = new_page(**PHONE)
    log_in(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{cid}")
    desk.get_by_role("link", name="Questions about who took part").click()
    expect(desk.get_by_text("No questions yet")).to_be_visible()
    assert_accessible(desk, "no questions yet")
    desk.get_by_role("button", name="Where do you live?").click()
    expect(desk.locator(".message-success")).to_have_text("The question is added.")
    choices = desk.get_by_label("Choices, one per line", exact=True)
    choices.fill("Old town\nRiverside\nPrefer not to say")
    desk.get_by_role("button", name="Save question").click()
    expect(desk.locator(".message-success")).to_have_text("The question is saved.")
    expect(desk.get_by_label("Choices, one per line", exact=True)).to_have_value(
        "Old town\nRiverside\nPrefer not to say"
    )
    fits_the_phone(desk)
    assert_accessible(desk, "a question added and edited")


def test_on_a_phone_a_facilitator_enters_targets_and_sees_who_is_missing(
    new_page, facilitator, client, app
):
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    client.post(f"{API}/{cid}/questions", json={"preset": "area"}, headers=facilitator.headers)
    desk = new_page(**PHONE)
    log_in(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{cid}/questions")
    for choice, percent in [("In a city", "40"), ("In a town or suburb", "30")]:
        desk.get_by_label(choice, exact=True).fill(percent)
    desk.get_by_label("In a village or the countryside", exact=True).fill("30")
    desk.get_by_role("button", name="Save targets").click()
    expect(desk.locator(".message-success")).to_contain_text("The targets are saved")
    fits_the_phone(desk)
    assert_accessible(desk, "targets entered")

    # 60 people vote and answer: 40 in a city, 10 in a town, 10 in a village.
    plant_votes(app, cid, voters=60)
    with app.app_context():
        conversation = get_conversation(cid)
        question = questions.questions_of(conversation)[0]
        people = db.session.scalars(select(Participant).filter_by(conversation_id=cid)).all()
        for participant, choice in zip(people, [0] * 40 + [1] * 10 + [2] * 10, strict=True):
            questions.save_answers(conversation, participant, {question.id: choice})
    # Cold: the live server's own runner may have analysed cold part-way through the votes,
    # and the report (and so this section) cites the latest cold analysis.
    analyse(app, cid, force_cold=True)

    desk.goto(f"/facilitate/c/{cid}/live")
    chart = desk.locator("svg.representativeness")
    expect(chart).to_be_visible()
    expect(desk.locator(".representativeness-figure figcaption")).to_contain_text(
        "Fewer than the target: In a town or suburb and In a village or the countryside."
    )
    table = desk.locator(".representativeness-table")
    expect(table).to_contain_text("More than the target")
    chart.scroll_into_view_if_needed()
    fits_the_phone(desk)
    assert_accessible(desk, "the live page with who took part")
