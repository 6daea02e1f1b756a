"""The report's comparison with target shares: participation against the targets (chart and
table), the statements most agree on by answer, and those reweighted to the targets, checked
against a computation of our own from the votes; on the page and in the PDF."""

from __future__ import annotations

import re

import pytest
from conftest import create_conversation
from helpers import DISTINCT_STATEMENTS, SHARED, analyse, plant_votes
from sqlalchemy import select
from test_openapi import Api, Spec
from test_report import API, page_text, pdf_text
from test_who_took_part_report import who_section

from consult.extensions import db
from consult.models import Participant, Statement, Vote
from consult.services import questions, targets, votes
from consult.services.consultations import get_conversation
from consult.services.report import build_report
from consult.services.who_took_part import NO_ANSWER

QUESTION = "Where do you live?"
CHOICES = ["City", "Countryside", "Prefer not to say"]
SPLIT = [34, 14, 12]  # 60 voters, each answers
TARGETS = [0.5, 0.5, None]  # "Prefer not to say" has no census share
WHO = "/conversations/{conversation_id}/who-took-part"


@pytest.fixture
def targeted(app, client, facilitator) -> str:
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=sum(SPLIT))
    with app.app_context():
        conversation = get_conversation(cid)
        question = questions.add_question(conversation, QUESTION, CHOICES)
        targets.save_targets(question, TARGETS)
        for participant, choice in zip(_people(cid), _choices(), strict=True):
            questions.save_answers(conversation, participant, {question.id: choice})
    analyse(app, cid)
    return cid


def _people(cid: str) -> list[Participant]:
    return db.session.scalars(
        select(Participant).filter_by(conversation_id=cid).order_by(Participant.id)
    ).all()


def _choices() -> list[int]:
    return [n for n, many in enumerate(SPLIT) for _ in range(many)]


def test_participation_is_compared_with_the_targets_on_the_page(client, targeted):
    response = client.get(f"/c/{targeted}/report")
    text = who_section(page_text(response))
    assert "Compared with the target shares" in text
    # 34 and 14 of the 48 with a target: 71 % and 29 %; the targets 50 % lie outside both
    # Wilson intervals, above Countryside's and below City's.
    assert re.search(r"City 50 % 71 % \(\d+–\d+ %\) More than the target", text)
    assert re.search(r"Countryside 50 % 29 % \(\d+–\d+ %\) Fewer than the target", text)
    assert "Shares of the 48 participants whose answer has a target; 12 gave no answer" in text
    assert "Fewer than the target: Countryside." in text
    html = response.get_data(as_text=True)
    chart = html.split('class="representativeness"')[1].split("</svg>")[0]
    assert "<title>Participation against the targets: Where do you live?</title>" in chart
    assert chart.count("<line") >= 2  # a target mark per answer with a target


def test_statements_by_answer_and_reweighted_match_our_own_count(app, targeted):
    app.config["CONSULT_MIN_CELL"] = 1  # nothing hidden, so every share can be checked
    with app.app_context():
        report = build_report(get_conversation(targeted), "visible")
        section = report.who_took_part.sections[0]
        shared = {
            s.id for s in db.session.scalars(select(Statement).filter_by(conversation_id=targeted))
        } & {sid for sid, text in report.texts.items() if text in SHARED}
        answer = dict(zip((p.id for p in _people(targeted)), _choices(), strict=True))
        checked = 0
        for row in section.statements:
            cast = db.session.execute(
                select(Vote.participant_id, Vote.value).filter_by(statement_id=row.statement_id)
            ).all()
            agree = {c: sum(v == 1 for p, v in cast if answer[p] == c) for c in range(3)}
            voted = {c: sum(answer[p] == c for p, _ in cast) for c in range(3)}
            for c in range(3):
                assert row.across.agree_share(c).value == pytest.approx(agree[c] / voted[c])
            assert row.across.agree_share(NO_ANSWER) is None  # nobody without an answer
            expected = 0.5 * agree[0] / voted[0] + 0.5 * agree[1] / voted[1]
            assert row.reweighted.value == pytest.approx(expected)
            assert row.reweighted.low < expected < row.reweighted.high
            assert row.overall.value == pytest.approx(sum(agree.values()) / len(cast))
            checked += 1
        assert checked >= 1
        assert shared <= {row.statement_id for row in section.statements}


def test_votes_after_the_cutoff_do_not_change_the_statements_by_answer(app, targeted):
    with app.app_context():
        conversation = get_conversation(targeted)
        before = build_report(conversation, "visible").who_took_part.sections[0]
        sid = before.statements[0].statement_id
        for participant in _people(targeted):
            votes.cast_vote(conversation, participant, sid, -1)
        after = build_report(conversation, "visible").who_took_part.sections[0]
    assert after.statements[0].statement_id == sid
    old, new = before.statements[0].across, after.statements[0].across
    assert new.votes.table.counts == old.votes.table.counts


def test_the_pdf_compares_with_the_targets_too(client, targeted, tmp_path):
    text = pdf_text(client.get(f"{API}/{targeted}/report.pdf").data, tmp_path)
    assert "Compared with the target shares" in text
    assert "Fewer than the target" in text
    assert "Reweighted: each answer's agree share weighted by its target share" in text


def test_without_targets_there_is_no_comparison_nor_reweighting(app, client, targeted):
    with app.app_context():
        question = questions.questions_of(get_conversation(targeted))[0]
        targets.save_targets(question, None)
    text = who_section(page_text(client.get(f"/c/{targeted}/report")))
    assert "Compared with the target shares" not in text
    assert "reweighted to the targets" not in text
    assert "Do the answers differ?" in text  # the statements by answer stay
    # The question is quoted, so its own "?" is not followed by a full stop.
    assert f"by answer to “{QUESTION}”: each cell" in text
    assert "?." not in text


def test_the_api_gives_the_reports_numbers_checked_against_its_description(
    client, targeted, facilitator
):
    api = Api(client, Spec(client.get("/api/v1/openapi.json").json))
    response = api.call("get", WHO, targeted, headers=facilitator.headers)
    assert response.status_code == 200
    section = response.json["sections"][0]
    assert section["title"] == QUESTION
    assert [c["participants"] for c in section["categories"]] == [*SPLIT, 0]
    compared = section["representativeness"]
    assert (compared["compared"], compared["left_out"]) == (48, 12)
    assert [c["status"] for c in compared["categories"]] == ["over", "under"]
    assert compared["categories"][0]["share"]["count"] == 34
    assert section["statements"]
    assert all(len(s["agree"]) == len(CHOICES) + 1 for s in section["statements"])


def test_the_api_hides_what_the_report_hides(client, facilitator, app):
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=40)
    with app.app_context():
        conversation = get_conversation(cid)
        question = questions.add_question(conversation, QUESTION, ["City", "Village", "Town"])
        split = [0] * 27 + [1] * 3 + [2] * 10
        for participant, choice in zip(_people(cid), split, strict=True):
            questions.save_answers(conversation, participant, {question.id: choice})
    analyse(app, cid)
    section = client.get(API + f"/{cid}/who-took-part", headers=facilitator.headers).json[
        "sections"
    ][0]
    # Village (3) is under 10; Town (10) is its complement (40 − 27 would give 3 + 10 only).
    assert [c["participants"] for c in section["categories"]] == [27, None, None, 0]
    assert [c["share"] is None for c in section["categories"]] == [False, True, True, False]


def test_the_api_answers_404_to_a_stranger_when_results_are_not_public(client, targeted, app):
    with app.app_context():
        get_conversation(targeted).results_public = False
        db.session.commit()
    assert client.get(API + f"/{targeted}/who-took-part").status_code == 404


def test_the_demo_shows_who_is_missing(app, client):
    from consult.demo import ensure_demo

    with app.app_context():
        ensure_demo()
    analyse(app, "demo")
    text = who_section(page_text(client.get("/c/demo/report")))
    assert "Where do you live?" in text
    assert "Compared with the target shares" in text
    # The simulated countryside takes part at about 15 %, well under its census share of 25 %.
    assert re.search(r"In a village or the countryside 25 % 1\d % \(\d+–\d+ %\) Fewer", text)
