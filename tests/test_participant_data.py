"""A participant downloads their data and erases it: gone from the votes, the log and the
next analysis; their statements go too unless the facilitator keeps them, detached."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import create_conversation, join
from helpers import analyse, plant_votes, shown_statement_id
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Erasure, Participant, Statement, Vote, VoteEvent, utcnow
from consult.services import participant_data
from consult.services.vote_memory import VoteMemory

API = "/api/v1/conversations"


def vote(client, cid, headers, statement_id, value):
    response = client.post(
        f"{API}/{cid}/votes", json={"statement_id": statement_id, "vote": value}, headers=headers
    )
    assert response.status_code == 201


def first_ids(client, cid) -> list[int]:
    return [s["id"] for s in client.get(f"{API}/{cid}/statements").json["statements"]]


def count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_the_download_holds_votes_history_and_statements(client, conversation):
    cid = conversation["id"]
    me = join(client, cid)
    first, second, _ = first_ids(client, cid)
    vote(client, cid, me, first, 1)
    vote(client, cid, me, first, -1)  # a change of mind: one vote, two in the history
    vote(client, cid, me, second, 0)
    written = client.post(f"{API}/{cid}/statements", json={"text": "Night buses."}, headers=me)
    assert written.status_code == 201

    data = client.get(f"{API}/{cid}/me", headers=me).json

    assert [(v["statement_id"], v["vote"]) for v in data["votes"]] == [
        (first, "disagree"),
        (second, "pass"),
        (written.json["id"], "agree"),  # writing it counts as agreeing
    ]
    assert [v["vote"] for v in data["vote_history"]] == ["agree", "disagree", "pass", "agree"]
    assert [s["text"] for s in data["statements"]] == ["Night buses."]
    assert data["consultation"]["id"] == cid


def test_erasing_removes_the_participant_their_votes_log_and_statements(app, client, conversation):
    cid = conversation["id"]
    me, other = join(client, cid), join(client, cid)
    first, second, _ = first_ids(client, cid)
    vote(client, cid, me, first, 1)
    vote(client, cid, me, second, -1)
    vote(client, cid, other, first, 1)
    mine = client.post(f"{API}/{cid}/statements", json={"text": "Night buses."}, headers=me).json
    vote(client, cid, other, mine["id"], 1)  # another's vote on my statement

    assert client.delete(f"{API}/{cid}/me", headers=me).status_code == 204

    assert client.get(f"{API}/{cid}/me", headers=me).status_code == 401  # the token is dead
    assert count(app, Participant, conversation_id=cid) == 1
    assert count(app, Vote, conversation_id=cid) == 1  # the other's vote on a seed
    assert count(app, VoteEvent, conversation_id=cid) == 1
    assert count(app, Statement, id=mine["id"]) == 0  # mine, with the other's vote on it
    with app.app_context():
        erasure = db.session.scalar(select(Erasure))
        # My two votes, and my agreement with my own statement.
        assert (erasure.votes, erasure.statements_removed, erasure.statements_kept) == (3, 1, 0)


def test_a_facilitator_may_keep_erased_statements_detached(app, client, facilitator):
    cid = create_conversation(client, facilitator, keep_statements_on_erasure=True)["id"]
    me, other = join(client, cid), join(client, cid)
    mine = client.post(f"{API}/{cid}/statements", json={"text": "Night buses."}, headers=me).json
    vote(client, cid, other, mine["id"], -1)

    assert client.delete(f"{API}/{cid}/me", headers=me).status_code == 204

    with app.app_context():
        kept = db.session.get(Statement, mine["id"])
        assert kept.text == "Night buses."
        assert kept.author_participant_id is None
        assert db.session.scalar(select(Erasure.statements_kept)) == 1
    assert count(app, Vote, statement_id=mine["id"]) == 1  # the other's vote stays


def test_the_next_analysis_reads_every_vote_again_without_the_erased(app, client, conversation):
    cid = conversation["id"]
    plant_votes(app, cid, 30)
    memory = VoteMemory()
    before = analyse(app, cid, memory)
    me = join(client, cid)
    for statement_id in first_ids(client, cid):
        vote(client, cid, me, statement_id, 1)
    warm = analyse(app, cid, memory, cold_every=timedelta(hours=1))
    assert warm.kind == "warm"
    assert warm.summary["counts"]["participants"] == before.summary["counts"]["participants"] + 1

    assert client.delete(f"{API}/{cid}/me", headers=me).status_code == 204
    after = analyse(app, cid, memory, cold_every=timedelta(hours=1))

    assert after.kind == "cold"  # deletions are invisible to an incremental read
    assert after.summary["counts"] == before.summary["counts"]


def test_the_page_shows_downloads_and_erases_this_browsers_data(app, client, conversation):
    cid = conversation["id"]
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    statement_id = shown_statement_id(page)
    client.post(f"/c/{cid}/vote", data={"statement_id": statement_id, "vote": "agree"})

    shown = client.get(f"/c/{cid}/my-data").get_data(as_text=True)
    assert "your 1 current vote" in shown
    download = client.get(f"/c/{cid}/my-data.json")
    assert download.headers["Cache-Control"] == "no-store"
    assert json.loads(download.get_data())["votes"][0]["statement_id"] == statement_id

    unconfirmed = client.post(f"/c/{cid}/my-data/erase", data={})
    assert unconfirmed.status_code == 400
    assert count(app, Vote, conversation_id=cid) == 1

    erased = client.post(f"/c/{cid}/my-data/erase", data={"confirm": "yes"})
    assert erased.status_code == 302
    assert count(app, Vote, conversation_id=cid) == 0
    assert "keeps nothing about you" in client.get(f"/c/{cid}/my-data").get_data(as_text=True)
    assert client.get(f"/c/{cid}/my-data.json").get_json() == {}


def test_votes_erased_since_a_moment_are_counted(app, client, conversation):
    cid = conversation["id"]
    me = join(client, cid)
    for statement_id in first_ids(client, cid):
        vote(client, cid, me, statement_id, 1)
    moment = utcnow()
    client.delete(f"{API}/{cid}/me", headers=me)
    with app.app_context():
        assert participant_data.votes_erased_since(cid, moment) == 3
        assert participant_data.votes_erased_since(cid, utcnow()) == 0


def test_a_report_made_before_says_how_many_votes_were_erased_since(app, client, conversation):
    cid = conversation["id"]
    plant_votes(app, cid, 30)
    me = join(client, cid)
    for statement_id in first_ids(client, cid):
        vote(client, cid, me, statement_id, -1)
    analyse(app, cid)
    page = client.get(f"/c/{cid}/report").get_data(as_text=True)
    assert "erased" not in page
    hash_before = page.split('<code class="hash">', 1)[1].split("<", 1)[0]

    client.delete(f"{API}/{cid}/me", headers=me)

    page = client.get(f"/c/{cid}/report").get_data(as_text=True)
    assert "participants erased 3 of its votes" in page
    assert page.split('<code class="hash">', 1)[1].split("<", 1)[0] != hash_before
