"""The report's "Who took part" section: counts per answer and groups by answer, suppressed
under CONSULT_MIN_CELL (by difference too), on the page, in the PDF and in French."""

from __future__ import annotations

import re

import pytest
from conftest import create_conversation
from helpers import DISTINCT_STATEMENTS, analyse, plant_votes
from sqlalchemy import select
from test_report import API, page_text, pdf_text

from consult.extensions import db
from consult.models import Participant
from consult.services import questions
from consult.services.consultations import get_conversation
from consult.services.report import cited_analysis
from consult.services.segments import create_segment
from consult.services.suppression import recoverable_cells
from consult.services.who_took_part_report import who_took_part

VOTERS = 40
# 27 + 3 + 10 = 40, everyone answers: "Village" (3) is under 10, so hidden; then "Town" (10)
# must be hidden too, or 40 − 27 − 10 would give the 3 back.
ANSWERS = {"City": 27, "Village": 3, "Town": 10}
QUESTION = "Where do you live?"


def who_section(text: str) -> str:
    return text.split("Who took part")[1].split("Every statement")[0]


@pytest.fixture
def answered(app, client, facilitator) -> str:
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=VOTERS)
    with app.app_context():
        conversation = get_conversation(cid)
        question = questions.add_question(conversation, QUESTION, list(ANSWERS))
        people = db.session.scalars(
            select(Participant).filter_by(conversation_id=cid).order_by(Participant.id)
        ).all()
        choices = [n for n, many in enumerate(ANSWERS.values()) for _ in range(many)]
        for participant, choice in zip(people, choices, strict=True):
            questions.save_answers(conversation, participant, {question.id: choice})
    analyse(app, cid)
    return cid


def test_the_report_shows_large_counts_and_hides_small_ones_and_their_complement(client, answered):
    text = who_section(page_text(client.get(f"/c/{answered}/report")))
    assert QUESTION in text
    assert re.search(r"City 27 68 % \(\d+–\d+ %\)", text)
    assert "Village not shown" in text
    assert "Town not shown" in text  # the complement: 40 − 27 would give 3 + 10 only
    assert "No answer 0" in text
    assert "Opinion group" in text
    assert "Group A" in text
    assert "In no group" in text
    # One participant is in no group: public already (participants minus grouped), so the
    # groups' table is shown: a group's City count with its share of the group.
    assert "withheld" not in text
    assert re.search(r"Group [AB] 1\d \d+ % \(\d+–\d+ %\)", text)


def test_no_count_under_the_minimum_and_nothing_per_participant_is_shown(client, answered):
    html = client.get(f"/c/{answered}/report").get_data(as_text=True)
    section = html.split('id="who-took-part"')[1].split("</section>\n<section")[0]
    cells = re.findall(r"<td>(.*?)</td>", section, flags=re.S)
    counts = [int(m[1]) for cell in cells if (m := re.match(r"\s*(\d+)", cell))]
    assert counts
    assert all(n == 0 or n >= 10 for n in counts)
    # One row per answer and per group: never one per participant.
    rows = re.findall(r'<th scope="row">([^<]*)', section)
    groups = [row for row in rows if row.startswith("Group ") or row == "In no group"]
    assert len(rows) == len(ANSWERS) + 1 + len(groups)
    assert 2 <= len(groups) <= 7


def test_no_hidden_count_can_be_worked_out_from_what_is_shown(app, answered):
    with app.app_context():
        conversation = get_conversation(answered)
        section = who_took_part(conversation, cited_analysis(conversation).data).sections[0]
    assert section.participation.hidden >= {1, 2}  # Village, and Town as its complement
    assert recoverable_cells(section.participation) == set()
    assert recoverable_cells(section.groups.table) == set()


def test_the_pdf_has_the_section(client, answered, tmp_path):
    pdf = client.get(f"{API}/{answered}/report.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data, tmp_path)
    assert "Who took part" in text
    assert QUESTION in text
    assert "not shown" in text


def test_the_french_report_has_the_section_in_french(client, answered):
    response = client.get(f"/c/{answered}/report", headers={"Accept-Language": "fr"})
    text = page_text(response)
    assert "Qui a participé" in text
    assert "non affiché" in text
    assert "Who took part" not in text
    assert "not shown" not in text


def test_segments_have_a_section_with_no_segment_as_the_missing_category(app, client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=30)
    with app.app_context():
        assembly = create_segment(get_conversation(cid), "Assembly")
        public = create_segment(get_conversation(cid), "Public")
        people = db.session.scalars(
            select(Participant).filter_by(conversation_id=cid).order_by(Participant.id)
        ).all()
        for participant in people[:12]:
            participant.segment_id = assembly.id
        for participant in people[12:22]:
            participant.segment_id = public.id
        db.session.commit()
    analyse(app, cid)
    text = who_section(page_text(client.get(f"/c/{cid}/report")))
    assert "Segments" in text
    assert "Assembly 12" in text
    # 8 came by no segment's link: hidden, and so are the public's 10, else 30 − 12 − 10.
    assert "No segment not shown" in text
    assert "Public not shown" in text


def test_without_questions_or_segments_the_section_says_so(client, facilitator, app):
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    plant_votes(app, cid, voters=20)
    analyse(app, cid)
    text = who_section(page_text(client.get(f"/c/{cid}/report")))
    assert "asked no questions about the participants and had no segments" in text
