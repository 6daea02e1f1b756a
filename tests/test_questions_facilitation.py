"""The optional questions about who took part, from the facilitator's side: presets, their
own, edit, reorder, remove, timing, and never a choice changed under people's answers."""

from __future__ import annotations

from typing import Any

from conftest import create_conversation, make_facilitator
from flask import Flask
from flask.testing import FlaskClient
from helpers import log_in
from test_questions import SEEDS, vote_by_form

from consult.services import consultations, questions

PAGE = "/facilitate/c/{cid}/questions"


def listed(app: Flask, cid: str) -> list[tuple[str, list[str]]]:
    with app.app_context():
        conversation = consultations.get_conversation(cid)
        return [(q.text, q.choices) for q in questions.questions_of(conversation)]


def ids(app: Flask, cid: str) -> list[int]:
    with app.app_context():
        return [q.id for q in questions.questions_of(consultations.get_conversation(cid))]


def setup(client: FlaskClient, facilitator: Any) -> tuple[str, str]:
    cid = create_conversation(client, facilitator, seed_statements=SEEDS)["id"]
    log_in(client, facilitator)
    return cid, PAGE.format(cid=cid)


def test_the_manage_page_links_to_the_questions(client, facilitator):
    cid, page = setup(client, facilitator)
    assert page.encode() in client.get(f"/facilitate/c/{cid}").data
    assert b"No questions yet" in client.get(page).data


def test_presets_are_one_click_and_their_choices_editable(app, client, facilitator):
    cid, page = setup(client, facilitator)
    for preset in ("age", "gender", "area"):
        assert client.post(page, data={"preset": preset}).status_code == 302
    texts = [text for text, _ in listed(app, cid)]
    assert texts == ["How old are you?", "What is your gender?", "Where do you live?"]
    assert "Prefer not to say" in listed(app, cid)[0][1]
    area = ids(app, cid)[2]
    choices = "Old town\nRiverside\nHills\nPrefer not to say\n"
    response = client.post(f"{page}/{area}", data={"text": "Which district?", "choices": choices})
    assert response.status_code == 302
    assert listed(app, cid)[2] == (
        "Which district?",
        ["Old town", "Riverside", "Hills", "Prefer not to say"],
    )
    assert b"The question is saved." in client.get(page).data


def test_presets_come_in_the_facilitators_language(app, client, facilitator):
    cid, page = setup(client, facilitator)
    client.post(page, data={"preset": "age"}, headers={"Accept-Language": "fr"})
    text, choices = listed(app, cid)[0]
    assert text == "Quel âge avez-vous ?"
    assert choices[-1] == "Je préfère ne pas répondre"


def test_their_own_question_is_added_with_checked_choices(app, client, facilitator):
    cid, page = setup(client, facilitator)
    data = {"text": " How do you travel? ", "choices": "On foot\n\nBy bike\n By bus \n"}
    assert client.post(page, data=data).status_code == 302
    assert listed(app, cid) == [("How do you travel?", ["On foot", "By bike", "By bus"])]
    for bad in (
        {"text": "One choice only", "choices": "Yes"},
        {"text": "Twice the same", "choices": "Yes\nYes"},
        {"text": "Too many", "choices": "\n".join(str(n) for n in range(13))},
        {"text": "Too long a choice", "choices": "Yes\n" + "x" * 81},
        {"text": "", "choices": "Yes\nNo"},
        {"text": "x" * 201, "choices": "Yes\nNo"},
        {"preset": "shoe size"},
    ):
        response = client.post(page, data=bad)
        assert response.status_code == 400, bad  # the page again, with why
    assert len(listed(app, cid)) == 1


def test_refusals_are_shown_beside_the_form(app, client, facilitator):
    cid, page = setup(client, facilitator)
    refused = client.post(page, data={"text": "One choice only", "choices": "Yes"})
    assert refused.status_code == 400
    assert b"A question needs from 2 to 12 choices." in refused.data


def test_questions_move_up_and_down_and_are_removed(app, client, facilitator):
    cid, page = setup(client, facilitator)
    for preset in ("age", "gender", "area"):
        client.post(page, data={"preset": preset})
    age, gender, area = ids(app, cid)
    assert client.post(f"{page}/{area}/move", data={"direction": "up"}).status_code == 302
    assert ids(app, cid) == [age, area, gender]
    client.post(f"{page}/{age}/move", data={"direction": "down"})
    assert ids(app, cid) == [area, age, gender]
    client.post(f"{page}/{area}/move", data={"direction": "up"})  # already first: no change
    assert ids(app, cid) == [area, age, gender]
    assert client.post(f"{page}/{age}/move", data={"direction": "sideways"}).status_code == 400
    assert client.post(f"{page}/{age}/remove").status_code == 302
    assert ids(app, cid) == [area, gender]


def test_the_choices_of_an_answered_question_cannot_change_but_its_text_can(
    app, client, facilitator
):
    cid, page = setup(client, facilitator)
    client.post(page, data={"preset": "age"})
    (age,) = ids(app, cid)
    before = listed(app, cid)[0][1]
    citizen = app.test_client()
    for _ in range(3):
        vote_by_form(citizen, cid)
    citizen.post(f"/c/{cid}/questions", data={f"question-{age}": "2"})
    form = client.get(page).data.decode()
    assert f'id="choices-{age}"' not in form  # no box to change them
    assert "people have answered, so they cannot change" in form
    reordered = "\n".join(reversed(before))
    refused = client.post(f"{page}/{age}", data={"text": "Your age?", "choices": reordered})
    assert refused.status_code == 409
    assert listed(app, cid)[0] == ("How old are you?", before)  # nothing changed
    assert b"its choices cannot change" in refused.data
    client.post(f"{page}/{age}", data={"text": "Your age?"})
    assert listed(app, cid)[0] == ("Your age?", before)


def test_the_timing_setting_is_checked(app, client, facilitator):
    cid, page = setup(client, facilitator)
    assert client.post(f"{page}/timing", data={"questions_after_votes": "5"}).status_code == 302
    for bad in ("0", "-1", "x", "101", ""):
        refused = client.post(f"{page}/timing", data={"questions_after_votes": bad})
        assert refused.status_code == 400, bad
    with app.app_context():
        assert consultations.get_conversation(cid).questions_after_votes == 5
    assert b'value="5"' in client.get(page).data


def test_another_facilitators_questions_are_out_of_reach(app, client, facilitator):
    cid, page = setup(client, facilitator)
    client.post(page, data={"preset": "age"})
    (age,) = ids(app, cid)
    other = app.test_client()
    log_in(other, make_facilitator(app, "other@example.org"))
    assert other.get(page).status_code in (403, 404)
    assert other.post(f"{page}/{age}/remove").status_code in (403, 404)
    mine = create_conversation(client, facilitator)["id"]
    assert client.post(f"{PAGE.format(cid=mine)}/{age}/remove").status_code == 404
    assert ids(app, cid) == [age]


def test_no_facilitator_page_shows_anyones_answers(app, client, facilitator):
    cid, page = setup(client, facilitator)
    client.post(page, data={"text": "Favourite colour?", "choices": "Vermilion\nTurquoise"})
    (colour,) = ids(app, cid)
    citizen = app.test_client()
    for _ in range(3):
        vote_by_form(citizen, cid)
    citizen.post(f"/c/{cid}/questions", data={f"question-{colour}": "1"})
    for path in (
        f"/facilitate/c/{cid}",
        f"/facilitate/c/{cid}/moderate",
        f"/facilitate/c/{cid}/live.json",
    ):
        assert b"Turquoise" not in client.get(path).data, path
