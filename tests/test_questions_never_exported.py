"""Answers to the questions about who took part are never exported per participant: in no
file of the open data export, in no analysis, in nothing the analysis reads."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from conftest import create_conversation
from helpers import DISTINCT_STATEMENTS, analyse, plant_votes
from sqlalchemy import select

from consult.extensions import db
from consult.models import Analysis, Participant, Statement
from consult.services import consultations, questions
from consult.services.vote_memory import VoteMemory

# Words found nowhere else, so that any trace of an answer in a file is seen.
QUESTION = "Which imaginary borough do you call home?"
CHOICES = ["Quokkaville", "Zanzibarrow", "Prefer not to say"]
VOTERS = 24


def read_vote_matrix(app, cid):
    with app.app_context():
        listed = list(
            db.session.scalars(
                select(Statement.id).filter_by(conversation_id=cid).order_by(Statement.id)
            )
        )
        return VoteMemory().matrix(cid, listed, reread=True)


def test_no_export_file_nor_the_analysis_holds_an_answer(app, client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    with app.app_context():
        question = questions.add_question(consultations.get_conversation(cid), QUESTION, CHOICES)
        question_id = question.id
    plant_votes(app, cid, VOTERS)
    before = read_vote_matrix(app, cid)
    with app.app_context():
        conversation = consultations.get_conversation(cid)
        for n, participant in enumerate(db.session.scalars(select(Participant)).all()):
            questions.save_answers(conversation, participant, {question_id: n % 2})
    after = read_vote_matrix(app, cid)
    # What the analysis reads is the votes alone: the same with answers as without.
    assert (before.votes != after.votes).nnz == 0
    assert np.array_equal(before.participant_ids, after.participant_ids)
    analyse(app, cid)

    archive = zipfile.ZipFile(
        io.BytesIO(
            client.get(
                f"/api/v1/conversations/{cid}/export/export.zip", headers=facilitator.headers
            ).data
        )
    )
    names = archive.namelist()
    assert {"participant-votes.csv", "analysis.json", "votes.csv", "summary.csv"} <= set(names)
    for name in names:
        text = archive.read(name).decode("utf-8")
        for word in [QUESTION, *CHOICES[:2], "imaginary borough"]:
            assert word not in text, (name, word)
    header = archive.read("participant-votes.csv").decode().splitlines()[0].split(",")
    assert header[:6] == [
        "participant",
        "group-id",
        "n-comments",
        "n-votes",
        "n-agree",
        "n-disagree",
    ]
    assert all(column.isdigit() for column in header[6:])  # a column per statement, no more
    analysis = json.loads(archive.read("analysis.json"))
    assert "answers" not in json.dumps(analysis)

    with app.app_context():
        stored = db.session.scalars(select(Analysis).filter_by(conversation_id=cid)).one()
        for document in (stored.data, stored.view, stored.summary):
            text = json.dumps(document, ensure_ascii=False)
            assert not any(word in text for word in [QUESTION, *CHOICES[:2]])
    for path in (
        f"/api/v1/conversations/{cid}",
        f"/api/v1/conversations/{cid}/analysis",
        f"/c/{cid}/results.json",
    ):
        answer = client.get(path, headers=facilitator.headers).get_data(as_text=True)
        assert not any(word in answer for word in CHOICES[:2]), path
