"""The optional questions about who took part, from the citizen's side: asked once after the
Nth vote (never before), skipped in one step, answered, changed, erased, downloaded."""

from __future__ import annotations

from typing import Any

from conftest import create_conversation
from flask import Flask
from flask.testing import FlaskClient
from helpers import shown_statement_id
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Answer, Participant
from consult.services import consultations, questions

SEEDS = [f"Statement number {n} about transport." for n in range(1, 7)]
AGE = ["Under 30", "30–59", "60 or over", "Prefer not to say"]
AREA = ["North bank", "South bank"]


def make_consultation(app: Flask, client: FlaskClient, facilitator: Any, **fields: Any) -> str:
    """A consultation with six statements and two questions (age, then area)."""
    cid = create_conversation(client, facilitator, seed_statements=SEEDS, **fields)["id"]
    with app.app_context():
        conversation = consultations.get_conversation(cid)
        questions.add_question(conversation, "How old are you?", AGE)
        questions.add_question(conversation, "Where do you live?", AREA)
    return cid


def question_ids(app: Flask, cid: str) -> list[int]:
    with app.app_context():
        return [q.id for q in questions.questions_of(consultations.get_conversation(cid))]


def vote_by_form(client: FlaskClient, cid: str) -> None:
    page = client.get(f"/c/{cid}").data
    response = client.post(
        f"/c/{cid}/vote", data={"statement_id": shown_statement_id(page), "vote": "1"}
    )
    assert response.status_code == 302


def stored_answers(app: Flask) -> list[tuple[int, int]]:
    with app.app_context():
        rows = db.session.execute(select(Answer.question_id, Answer.choice).order_by(Answer.id))
        return [tuple(row) for row in rows]


def done_at(app: Flask) -> list[object]:
    with app.app_context():
        return list(db.session.scalars(select(Participant.questions_done_at)))


def test_questions_are_not_shown_before_the_third_vote(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    assert b'id="questions-form"' not in client.get(f"/c/{cid}").data  # not before voting
    for _ in range(2):
        vote_by_form(client, cid)
        assert b'id="questions-form"' not in client.get(f"/c/{cid}").data


def test_questions_are_shown_after_the_third_vote_with_radio_groups(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    for _ in range(3):
        vote_by_form(client, cid)
    page = client.get(f"/c/{cid}").data.decode()
    assert 'id="questions-form"' in page
    assert '<legend dir="auto">How old are you?</legend>' in page  # its own direction
    assert page.count('type="radio"') == len(AGE) + len(AREA)
    assert 'value="save"' in page
    assert 'value="skip"' in page
    assert 'id="vote-form"' in page  # voting goes on beside them


def test_the_setting_says_after_how_many_votes(app, client, facilitator):
    cid = make_consultation(app, client, facilitator, questions_after_votes=1)
    vote_by_form(client, cid)
    assert b'id="questions-form"' in client.get(f"/c/{cid}").data


def test_the_vote_answer_brings_the_form_for_the_script_once_due(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    answers = []
    for _ in range(3):
        page = client.get(f"/c/{cid}").data
        shown = shown_statement_id(page)
        response = client.post(
            f"/c/{cid}/vote",
            data={"statement_id": shown, "vote": "0"},
            headers={"Accept": "application/json"},
        )
        answers.append(response.json["questions"])
    assert answers[:2] == [None, None]
    assert 'id="questions-form"' in answers[2]
    assert "How old are you?" in answers[2]


def test_skipping_is_one_step_and_they_are_not_asked_again(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    for _ in range(3):
        vote_by_form(client, cid)
    response = client.post(f"/c/{cid}/questions", data={"action": "skip"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{cid}#statement-text")
    page = client.get(f"/c/{cid}").data
    assert b'id="questions-form"' not in page
    assert b"No questions, then. Thank you for voting." in page
    vote_by_form(client, cid)
    assert b'id="questions-form"' not in client.get(f"/c/{cid}").data
    assert stored_answers(app) == []
    assert all(done_at(app))


def test_answering_stores_answers_and_every_question_is_optional(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    age, area = question_ids(app, cid)
    for _ in range(3):
        vote_by_form(client, cid)
    response = client.post(
        f"/c/{cid}/questions", data={"action": "save", f"question-{age}": "2"}
    )  # area left unanswered
    assert response.status_code == 302
    page = client.get(f"/c/{cid}").data
    assert b"Thank you: your answers are saved." in page
    assert b'id="questions-form"' not in page
    assert stored_answers(app) == [(age, 2)]
    assert all(done_at(app))


def test_bad_answers_are_a_400_and_change_nothing(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    age, area = question_ids(app, cid)
    other = make_consultation(app, client, facilitator)
    foreign, _ = question_ids(app, other)
    for _ in range(3):
        vote_by_form(client, cid)
    for data in (
        {f"question-{age}": "4"},  # past the last choice
        {f"question-{age}": "-1"},
        {f"question-{age}": "one"},
        {f"question-{area}": "1", f"question-{foreign}": "0"},  # another consultation's
        {"question-99999": "0"},
        {"question-x": "0"},
        {f"question-{age}": "0", "action": "maybe"},
    ):
        response = client.post(f"/c/{cid}/questions", data={"action": "save", **data})
        assert response.status_code == 400, data
        assert b"<!doctype html>" in response.data
    assert stored_answers(app) == []
    assert done_at(app) == [None]  # still to be asked
    assert b'id="questions-form"' in client.get(f"/c/{cid}").data


def test_answers_before_the_third_vote_are_refused(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    age, _ = question_ids(app, cid)
    # Someone who never voted: refused, and no participant is made for them.
    assert client.post(f"/c/{cid}/questions", data={f"question-{age}": "0"}).status_code == 409
    assert client.post(f"/c/{cid}/questions", data={"action": "skip"}).status_code == 409
    vote_by_form(client, cid)
    assert client.post(f"/c/{cid}/questions", data={f"question-{age}": "0"}).status_code == 409
    assert stored_answers(app) == []
    assert done_at(app) == [None]


def test_a_closed_consultation_asks_nothing_and_takes_no_answers(app, client, facilitator):
    cid = make_consultation(app, client, facilitator)
    age, _ = question_ids(app, cid)
    for _ in range(3):
        vote_by_form(client, cid)
    client.patch(
        f"/api/v1/conversations/{cid}", json={"is_open": False}, headers=facilitator.headers
    )
    assert b'id="questions-form"' not in client.get(f"/c/{cid}").data
    assert client.post(f"/c/{cid}/questions", data={f"question-{age}": "0"}).status_code == 409
    assert stored_answers(app) == []


def test_an_invitation_only_consultation_asks_only_those_who_came_with_a_link(
    app, client, facilitator
):
    from helpers import personal_link

    cid = make_consultation(app, client, facilitator, require_xid=True)
    age, _ = question_ids(app, cid)
    stranger = app.test_client()
    assert b'id="questions-form"' not in stranger.get(f"/c/{cid}").data
    assert stranger.post(f"/c/{cid}/questions", data={f"question-{age}": "0"}).status_code == 409
    client.get(personal_link(app, cid, "resident-17"))
    for _ in range(3):
        vote_by_form(client, cid)
    assert b'id="questions-form"' in client.get(f"/c/{cid}").data
    assert client.post(f"/c/{cid}/questions", data={f"question-{age}": "1"}).status_code == 302
    assert stored_answers(app) == [(age, 1)]


def test_no_questions_no_form(app, client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=SEEDS)["id"]
    for _ in range(4):
        vote_by_form(client, cid)
    assert b'id="questions-form"' not in client.get(f"/c/{cid}").data


def answered(app: Flask, client: FlaskClient, facilitator: Any) -> tuple[str, int, int]:
    cid = make_consultation(app, client, facilitator)
    age, area = question_ids(app, cid)
    for _ in range(3):
        vote_by_form(client, cid)
    data = {"action": "save", f"question-{age}": "1", f"question-{area}": "0"}
    assert client.post(f"/c/{cid}/questions", data=data).status_code == 302
    return cid, age, area


def test_your_data_lists_the_answers_and_changes_them(app, client, facilitator):
    cid, age, area = answered(app, client, facilitator)
    page = client.get(f"/c/{cid}/my-data").data.decode()
    assert "<dt>How old are you?</dt><dd>30–59</dd>" in page
    assert "<dt>Where do you live?</dt><dd>North bank</dd>" in page
    assert f'id="question-{age}-1" name="question-{age}" value="1" checked' in page
    data = {"return_to": "my_data", f"question-{age}": "3", f"question-{area}": ""}
    response = client.post(f"/c/{cid}/questions", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{cid}/my-data#answers")
    assert stored_answers(app) == [(age, 3)]  # "No answer" removed the other
    assert b"Prefer not to say" in client.get(f"/c/{cid}/my-data").data


def test_erasing_the_answers_keeps_the_votes_and_asks_no_more(app, client, facilitator):
    cid, _, _ = answered(app, client, facilitator)
    response = client.post(f"/c/{cid}/my-data/answers/erase")
    assert response.status_code == 302
    assert stored_answers(app) == []
    page = client.get(f"/c/{cid}/my-data").data
    assert b"Your answers to the questions about you are erased." in page
    assert b"You have not answered them." in page
    assert b'id="questions-form"' in page  # they may answer again here
    assert b'id="questions-form"' not in client.get(f"/c/{cid}").data
    assert client.get(f"/api/v1/conversations/{cid}").json["counts"]["votes"] == 3


def test_the_download_holds_the_participants_own_answers(app, client, facilitator):
    cid, age, area = answered(app, client, facilitator)
    data = client.get(f"/c/{cid}/my-data.json").json
    assert [
        (a["question_id"], a["question"], a["choice"], a["answer"]) for a in data["answers"]
    ] == [
        (age, "How old are you?", 1, "30–59"),
        (area, "Where do you live?", 0, "North bank"),
    ]
    assert all(a["at"] for a in data["answers"])


def test_erasing_the_participant_erases_their_answers(app, client, facilitator):
    cid, _, _ = answered(app, client, facilitator)
    response = client.post(f"/c/{cid}/my-data/erase", data={"confirm": "yes"})
    assert response.status_code == 302
    assert stored_answers(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 0


def test_removing_a_question_removes_its_answers(app, client, facilitator):
    cid, age, area = answered(app, client, facilitator)
    with app.app_context():
        conversation = consultations.get_conversation(cid)
        questions.remove_question(questions.get_question(conversation, age))
    assert stored_answers(app) == [(area, 0)]


def test_a_statement_that_makes_the_third_vote_brings_the_form_for_the_script(
    app, client, facilitator
):
    cid = make_consultation(app, client, facilitator)
    for _ in range(2):
        vote_by_form(client, cid)
    written = client.post(
        f"/c/{cid}/statements",
        data={"text": "Trams should run through the night."},
        headers={"Accept": "application/json"},
    )
    assert written.status_code == 201
    assert 'id="questions-form"' in written.json["questions"]  # writing it counts as agreeing
