"""Target shares for a question's answers (census shares): entered by the facilitator on the
questions page or through the API, checked, and cleared when the choices change."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import create_conversation
from flask import Flask
from flask.testing import FlaskClient
from test_openapi import Api, Spec
from test_questions import SEEDS
from test_questions_facilitation import log_in

from consult.services import consultations, questions

ONE = "/conversations/{conversation_id}/questions/{question_id}"
AREA = ["In a city", "In a town", "In the countryside", "Prefer not to say"]


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client, Spec(client.get("/api/v1/openapi.json").json))


@pytest.fixture
def asked(client: FlaskClient, facilitator: Any) -> tuple[str, int]:
    cid = create_conversation(client, facilitator, seed_statements=SEEDS)["id"]
    body = {"text": "Where do you live?", "choices": AREA}
    created = client.post(
        f"/api/v1/conversations/{cid}/questions", json=body, headers=facilitator.headers
    )
    return cid, created.json["id"]


def stored(app: Flask, cid: str) -> list[float | None] | None:
    with app.app_context():
        return questions.questions_of(consultations.get_conversation(cid))[0].targets


def patch(api: Api, asked: tuple[str, int], headers: dict[str, str], **body: Any) -> Any:
    cid, qid = asked
    return api.call(
        "patch", ONE, cid, body=body, headers=headers, path_ids={"question_id": str(qid)}
    )


def test_the_api_stores_targets_with_a_choice_left_without_one(app, api, asked, facilitator):
    response = patch(api, asked, facilitator.headers, targets=[0.55, 0.25, 0.2, None])
    assert response.status_code == 200
    assert response.json["targets"] == [0.55, 0.25, 0.2, None]
    assert stored(app, asked[0]) == [0.55, 0.25, 0.2, None]
    cleared = patch(api, asked, facilitator.headers, targets=None)
    assert cleared.json["targets"] is None
    assert stored(app, asked[0]) is None


@pytest.mark.parametrize(
    ("targets", "says"),
    [
        ([0.5, 0.3, 0.1, None], "add up to 100"),
        ([0.5, 0.5], "list of 4 shares"),
        ([0.5, 0.5, 1.5, None], "share from 0 to 1"),
        ([True, 0.5, 0.5, None], "share from 0 to 1"),
        ("0.5, 0.5", "list of 4 shares"),
    ],
)
def test_unusable_targets_are_refused_and_nothing_changes(
    app, api, asked, facilitator, targets, says
):
    patch(api, asked, facilitator.headers, targets=[0.5, 0.5, None, None])
    response = patch(api, asked, facilitator.headers, text="Changed?", targets=targets)
    assert response.status_code == 400
    assert says in response.json["error"]["message"]
    assert response.json["error"]["field"] == "targets"
    assert stored(app, asked[0]) == [0.5, 0.5, None, None]
    with app.app_context():
        assert questions.questions_of(consultations.get_conversation(asked[0]))[0].text == (
            "Where do you live?"
        )


def test_new_choices_clear_old_targets_unless_new_ones_come_with_them(app, api, asked, facilitator):
    patch(api, asked, facilitator.headers, targets=[0.5, 0.3, 0.2, None])
    patch(api, asked, facilitator.headers, choices=["North", "South"])
    assert stored(app, asked[0]) is None
    both = patch(api, asked, facilitator.headers, choices=["East", "West"], targets=[0.6, 0.4])
    assert both.status_code == 200
    assert stored(app, asked[0]) == [0.6, 0.4]


def test_the_facilitator_enters_percentages_on_the_questions_page(app, client, asked, facilitator):
    cid, qid = asked
    log_in(client, facilitator)
    page = f"/facilitate/c/{cid}/questions"
    form = {"target": ["52", "27,5", "20.5 %", ""]}
    response = client.post(f"{page}/{qid}/targets", data=form)
    assert response.status_code == 302
    assert stored(app, cid) == pytest.approx([0.52, 0.275, 0.205, None])
    shown = client.get(page).get_data(as_text=True)
    assert 'value="27.5"' in shown
    assert 'value="20.5"' in shown
    assert "The targets are saved" in shown


@pytest.mark.parametrize(
    ("percents", "says"),
    [
        (["52", "27", "1", ""], "must add up to 100"),
        (["fifty", "50", "", ""], "percentage from 0 to 100"),
        (["150", "-50", "", ""], "percentage from 0 to 100"),
        (["nan", "100", "", ""], "percentage from 0 to 100"),
        (["1_0", "90", "", ""], "percentage from 0 to 100"),
        (["1e1", "90", "", ""], "percentage from 0 to 100"),
        (["50", "50"], "one target per choice"),
    ],
)
def test_the_page_refuses_unusable_percentages_with_a_400_and_keeps_the_old_ones(
    app, client, asked, facilitator, percents, says
):
    cid, qid = asked
    log_in(client, facilitator)
    page = f"/facilitate/c/{cid}/questions"
    client.post(f"{page}/{qid}/targets", data={"target": ["60", "40", "", ""]})
    response = client.post(f"{page}/{qid}/targets", data={"target": percents})
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert stored(app, cid) == pytest.approx([0.6, 0.4, None, None])


@pytest.mark.parametrize(
    ("percents", "shares"),
    [
        (["٥٠", "٢٥٫٥", "٢٤٫٥٪", ""], [0.5, 0.255, 0.245, None]),  # typed on an Arabic keyboard
        (["33", "33", "33", ""], [0.33, 0.33, 0.33, None]),  # 99: within one point of 100
    ],
)
def test_the_page_reads_what_people_type(app, client, asked, facilitator, percents, shares):
    cid, qid = asked
    log_in(client, facilitator)
    response = client.post(
        f"/facilitate/c/{cid}/questions/{qid}/targets", data={"target": percents}
    )
    assert response.status_code == 302
    assert stored(app, cid) == pytest.approx(shares)


def test_all_blank_clears_the_targets(app, client, asked, facilitator):
    cid, qid = asked
    log_in(client, facilitator)
    page = f"/facilitate/c/{cid}/questions"
    client.post(f"{page}/{qid}/targets", data={"target": ["60", "40", "", ""]})
    client.post(f"{page}/{qid}/targets", data={"target": ["", " ", "", ""]})
    assert stored(app, cid) is None
