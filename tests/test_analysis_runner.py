"""Analyses run on the app's own votes: stored, versioned, thinned, read by routing and the API."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import numpy as np
import pytest
from conftest import create_conversation, join, make_app
from helpers import DISTINCT_STATEMENTS, moderate
from sqlalchemy import func, select

from clustering.analysis import Analysis as ClusterAnalysis
from consult.extensions import db
from consult.math_runner import changed_conversations, run_once
from consult.models import Analysis, StatementStat, Vote, VoteEvent
from consult.services.analysis_runs import refresh
from consult.services.consultations import get_conversation
from consult.services.report import build_report
from consult.services.vote_memory import VoteMemory

API = "/api/v1/conversations"
SEEDS = DISTINCT_STATEMENTS


def vote_all(client, cid, voters: int, seed: int = 0) -> None:
    """`voters` participants each vote on every statement, in two clear camps."""
    rng = random.Random(seed)
    ids = [s["id"] for s in client.get(f"{API}/{cid}/statements").json["statements"]]
    for n in range(voters):
        headers = join(client, cid)
        camp = n % 2
        for k, sid in enumerate(ids):
            leaning = 1 if (k < len(ids) // 2) == (camp == 0) else -1
            value = leaning if rng.random() < 0.9 else -leaning
            response = client.post(
                f"{API}/{cid}/votes", json={"statement_id": sid, "vote": value}, headers=headers
            )
            assert response.status_code == 201


@pytest.fixture
def consultation(client, facilitator):
    return create_conversation(client, facilitator, seed_statements=SEEDS)["id"]


def test_first_run_is_cold_and_stores_everything_the_pages_read(app, client, consultation):
    vote_all(client, consultation, voters=30)
    with app.app_context():
        stored = refresh(consultation, VoteMemory())
        assert stored.version == 1
        assert stored.kind == "cold"
        head = db.session.scalar(select(func.max(VoteEvent.id)))
        assert stored.vote_watermark == head
        assert stored.data["counts"]["participants"] == 30
        assert stored.view["ready"] is True
        assert stored.view["division"]["n_groups"] == 2
        assert {s["text"] for s in stored.view["statements"]} == set(SEEDS)
        stats = db.session.scalars(select(StatementStat)).all()
        assert len(stats) == len(SEEDS)
        assert all(s.n_agree + s.n_disagree + s.n_pass == 30 for s in stats)
    answer = client.get(f"{API}/{consultation}/analysis")
    assert answer.status_code == 200
    assert answer.json["version"] == 1
    assert answer.json["kind"] == "cold"


def test_nothing_changed_means_no_new_analysis(app, client, consultation):
    vote_all(client, consultation, voters=20)
    with app.app_context():
        memory = VoteMemory()
        assert refresh(consultation, memory).version == 1
        assert refresh(consultation, memory) is None
        assert changed_conversations() == []


def test_a_new_vote_gives_a_warm_update_that_includes_it(app, client, consultation):
    vote_all(client, consultation, voters=20)
    with app.app_context():
        memory = VoteMemory()
        refresh(consultation, memory)
    headers = join(client, consultation)
    sid = client.get(f"{API}/{consultation}/next", headers=headers).json["id"]
    client.post(
        f"{API}/{consultation}/votes", json={"statement_id": sid, "vote": -1}, headers=headers
    )
    with app.app_context():
        assert changed_conversations() == [consultation]
        second = refresh(consultation, memory)
        assert second.version == 2
        assert second.kind == "warm"
        assert second.data["counts"]["participants"] == 21
        assert second.vote_watermark == db.session.scalar(select(func.max(VoteEvent.id)))


def test_a_warm_update_left_standing_is_analysed_again_cold_for_the_report(
    app, client, consultation
):
    vote_all(client, consultation, voters=20)
    with app.app_context():
        memory = VoteMemory()
        refresh(consultation, memory)
        headers_vote(client, consultation, 0)
        warm = refresh(consultation, memory)
        assert warm.kind == "warm"
        assert refresh(consultation, memory) is None  # a burst may go on: it stays warm
        assert changed_conversations() == []
        app.config["CONSULT_ANALYSIS_SETTLE_AFTER"] = 0.0  # the votes stopped long enough,
        assert changed_conversations() == []  # but the last cold one is recent: it waits
        assert refresh(consultation, memory, settle_after=timedelta(0)) is None
        app.config["CONSULT_ANALYSIS_COLD_EVERY"] = 0.0  # and now it is not
        assert changed_conversations() == [consultation]
        settled = refresh(consultation, memory, settle_after=timedelta(0), cold_every=timedelta(0))
        assert settled.kind == "cold"
        assert settled.version == warm.version + 1
        assert settled.vote_watermark == warm.vote_watermark
        assert settled.summary["counts"] == warm.summary["counts"]
        assert (
            refresh(consultation, memory, settle_after=timedelta(0), cold_every=timedelta(0))
            is None
        )
        assert changed_conversations() == []
        report = build_report(get_conversation(consultation), "visible", with_history=False)
        assert report.analysis.version == settled.version  # the report has every vote


@pytest.mark.parametrize("remembered", [True, False])
def test_a_cold_analysis_keeps_the_names_the_groups_had(app, client, consultation, remembered):
    """Group A stays Group A when the votes are analysed again from scratch (from the
    runner's memory, or from the stored analysis), whatever order the groups come out in."""
    vote_all(client, consultation, voters=30)
    with app.app_context():
        memory = VoteMemory()
        first = refresh(consultation, memory)
        group_of = {p["id"]: p["group"] for p in first.data["participants"]}
        assert sorted(set(group_of.values())) == [0, 1]
        # As if the latest analysis had named the camps the other way round.
        swapped = {p: 1 - g for p, g in group_of.items()}
        data = dict(first.data)
        data["participants"] = [{**p, "group": swapped[p["id"]]} for p in data["participants"]]
        first.data = data
        db.session.commit()
        if remembered:
            memory.remember(consultation, first.version, ClusterAnalysis(**data))
        again = refresh(consultation, memory if remembered else VoteMemory(), force_cold=True)
        assert again.kind == "cold"
        assert {p["id"]: p["group"] for p in again.data["participants"]} == swapped
        assert again.data["stability"]["share_kept"] == 1.0


def test_growth_since_the_last_cold_analysis_is_noticed_on_the_same_run(app, client, consultation):
    vote_all(client, consultation, voters=20)
    with app.app_context():
        memory = VoteMemory()
        refresh(consultation, memory)
    vote_all(client, consultation, voters=3, seed=1)  # 15 % more votes
    with app.app_context():
        grown = refresh(consultation, memory)
        assert grown.kind == "cold"  # was warm: growth was read off the last run's summary
        assert grown.data["counts"]["participants"] == 23


def test_moderation_makes_the_analysis_out_of_date(app, client, facilitator, consultation):
    vote_all(client, consultation, voters=20)
    with app.app_context():
        memory = VoteMemory()
        refresh(consultation, memory)
    rejected = client.get(f"{API}/{consultation}/statements").json["statements"][0]["id"]
    response = client.post(
        f"{API}/{consultation}/moderation",
        json={"statement_ids": [rejected], "action": "reject"},
        headers=facilitator.headers,
    )
    assert response.status_code == 200
    with app.app_context():
        stored = refresh(consultation, memory)
        assert stored is not None
        assert rejected not in {s["id"] for s in stored.view["statements"]}


def test_changed_votes_read_incrementally_equal_a_full_read(app, client, consultation):
    vote_all(client, consultation, voters=12, seed=1)
    ids = [s["id"] for s in client.get(f"{API}/{consultation}/statements").json["statements"]]
    with app.app_context():
        memory = VoteMemory()
        memory.matrix(consultation, ids, reread=True)
    rng = random.Random(2)
    for _ in range(3):  # new participants and changes of mind
        headers = join(client, consultation)
        for sid in rng.sample(ids, 5):
            for value in (1, rng.choice((-1, 0, 1))):
                client.post(
                    f"{API}/{consultation}/votes",
                    json={"statement_id": sid, "vote": value},
                    headers=headers,
                )
    with app.app_context():
        incremental = memory.matrix(consultation, ids, reread=False)
        full = VoteMemory().matrix(consultation, ids, reread=True)
    order_a = np.argsort(incremental.participant_ids)
    order_b = np.argsort(full.participant_ids)
    assert (incremental.participant_ids[order_a] == full.participant_ids[order_b]).all()
    assert (incremental.votes[order_a] != full.votes[order_b]).nnz == 0
    assert incremental.votes.nnz == full.votes.nnz == 12 * len(ids) + 3 * 5


def test_older_full_results_are_thinned_but_every_summary_is_kept(app, client, consultation):
    vote_all(client, consultation, voters=16)
    with app.app_context():
        memory = VoteMemory()
        refresh(consultation, memory)
        for round_ in range(3):
            headers_vote(client, consultation, round_)
            refresh(consultation, memory)
        rows = db.session.scalars(select(Analysis).order_by(Analysis.version)).all()
        assert [a.version for a in rows] == [1, 2, 3, 4]
        assert all(a.summary["counts"]["votes"] > 0 for a in rows)
        # The first is kept (the oldest kept), the latest is kept, the close ones between are not.
        assert rows[0].data is not None
        assert rows[-1].data is not None
        assert rows[1].data is None
        assert rows[2].data is None


def headers_vote(client, cid, round_: int) -> None:
    headers = join(client, cid)
    sid = client.get(f"{API}/{cid}/next", headers=headers).json["id"]
    client.post(
        f"{API}/{cid}/votes", json={"statement_id": sid, "vote": 1 - round_ % 3}, headers=headers
    )


def test_an_hour_apart_keeps_the_older_full_result(app, client, consultation):
    vote_all(client, consultation, voters=16)
    with app.app_context():
        memory = VoteMemory()
        first = refresh(consultation, memory)
        first.created_at = first.created_at - timedelta(hours=2)
        db.session.commit()
        headers_vote(client, consultation, 0)
        second = refresh(consultation, memory)
        second.created_at = second.created_at - timedelta(minutes=30)
        db.session.commit()
        headers_vote(client, consultation, 1)
        refresh(consultation, memory)
        kept = [
            a.version
            for a in db.session.scalars(select(Analysis).where(Analysis.data.is_not(None)))
        ]
        assert sorted(kept) == [1, 2, 3]


def test_private_results_need_a_facilitator(client, facilitator, app):
    cid = create_conversation(client, facilitator, seed_statements=SEEDS, results_public=False)[
        "id"
    ]
    vote_all(client, cid, voters=16)
    with app.app_context():
        refresh(cid, VoteMemory())
    assert client.get(f"{API}/{cid}/analysis").status_code == 404
    assert client.get(f"/c/{cid}/results.json").status_code == 404
    assert client.get(f"{API}/{cid}/analysis", headers=facilitator.headers).status_code == 200


def test_the_citizen_sees_their_own_position(app, client, consultation):
    vote_all(client, consultation, voters=20)
    ids = [s["id"] for s in client.get(f"{API}/{consultation}/statements").json["statements"]]
    for sid in ids:
        client.post(f"/c/{consultation}/vote", data={"statement_id": str(sid), "vote": "1"})
    with app.app_context():
        refresh(consultation, VoteMemory())
    body = client.get(f"/c/{consultation}/results.json").json
    assert body["view"]["ready"] is True
    me = body["me"]
    assert me is not None
    assert me["group"] in {g["id"] for g in body["view"]["groups"]}
    assert client.get(f"/c/{consultation}/results").status_code == 200


def test_a_failed_run_is_logged_and_the_runner_goes_on(app, client, consultation, caplog):
    vote_all(client, consultation, voters=16)
    with app.app_context():
        conversation = get_conversation(consultation)
        conversation.analysis_profile = "no-such-profile"  # refused by analyze()
        db.session.commit()
    assert run_once(app, consultation, VoteMemory()) is None
    assert "analysis of" in caplog.text
    with app.app_context():
        conversation = get_conversation(consultation)
        conversation.analysis_profile = "polis"
        db.session.commit()
    assert run_once(app, consultation, VoteMemory()).version == 1


def test_the_embedded_runner_debounces_and_ends_with_the_last_vote(
    database_url, client, facilitator
):
    """A thread in the serving process: at most one run per window, and one after the last vote."""
    debounce = 0.5
    served = make_app(
        database_url, csrf=False, CONSULT_ANALYSIS="thread", CONSULT_ANALYSIS_DEBOUNCE=debounce
    )
    web = served.test_client()
    cid = create_conversation(web, facilitator, seed_statements=SEEDS)["id"]
    runner = served.extensions["consult.runner"]
    runner.start()
    try:
        ids = [s["id"] for s in web.get(f"{API}/{cid}/statements").json["statements"]]
        started = time.monotonic()
        voted = 0
        while time.monotonic() - started < 3:
            headers = join(web, cid)
            for sid in ids:
                web.post(
                    f"{API}/{cid}/votes",
                    json={"statement_id": sid, "vote": random.choice((-1, 1))},
                    headers=headers,
                )
                voted += 1
        seconds = time.monotonic() - started
        with served.app_context():
            head = db.session.scalar(select(func.max(VoteEvent.id)))
        deadline = time.monotonic() + 30
        while True:
            with served.app_context():
                last = db.session.scalar(
                    select(Analysis).order_by(Analysis.version.desc()).limit(1)
                )
                db.session.remove()
            if last is not None and last.vote_watermark == head:
                break
            assert time.monotonic() < deadline, "the runner never caught up with the last vote"
            time.sleep(0.1)
        assert last.version <= seconds / debounce + 2
        assert last.summary["counts"]["votes"] == db_votes(served)
    finally:
        runner.stop()


def db_votes(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Vote))


def test_a_vote_is_acknowledged_even_when_the_queue_is_unreachable(
    database_url, facilitator, caplog
):
    """The vote is committed before the runner is told; a dead Redis only delays the analysis."""
    served = make_app(
        database_url,
        csrf=False,
        CONSULT_ANALYSIS="queue",
        CONSULT_REDIS_URL="redis://127.0.0.1:9/0",
    )
    web = served.test_client()
    cid = create_conversation(web, facilitator, seed_statements=SEEDS[:3])["id"]
    headers = join(web, cid)
    sid = web.get(f"{API}/{cid}/next", headers=headers).json["id"]
    answer = web.post(f"{API}/{cid}/votes", json={"statement_id": sid, "vote": 1}, headers=headers)
    assert answer.status_code == 201
    assert db_votes(served) == 1
    assert "could not queue the analysis" in caplog.text


def test_groups_show_when_everyone_voted_on_every_statement_they_could(app, client, facilitator):
    """Six statements to vote on, one waiting for moderation and one rejected after votes:
    "voted on 7" cannot be reached, so voting on all six must do, and the rejected
    statement's votes count for nobody."""
    cid = create_conversation(
        client, facilitator, seed_statements=SEEDS[:7], strict_moderation=True
    )["id"]
    waiting = client.post(
        f"{API}/{cid}/statements",
        json={"text": "Ferries should run on Sundays too."},
        headers=join(client, cid),
    )
    assert waiting.status_code == 202
    rejected = client.get(f"{API}/{cid}/statements").json["statements"][-1]["id"]
    shown = [s["id"] for s in client.get(f"{API}/{cid}/statements").json["statements"]]
    late = join(client, cid)  # six votes: on the statement about to go, and on five others
    for sid in [rejected, *shown[:5]]:
        client.post(f"{API}/{cid}/votes", json={"statement_id": sid, "vote": 1}, headers=late)
    moderate(client, facilitator, cid, [rejected], "reject")
    vote_all(client, cid, voters=20)  # on the six left
    with app.app_context():
        stored = refresh(cid, VoteMemory())
        assert stored.view["needs"]["votes_each"] == 6
        assert stored.view["qualified"] == 20  # not the late voter: 5 of the 6 that count
        assert stored.view["ready"] is True
        assert len(stored.view["groups"]) == len(stored.data["groups"]) >= 1
        report = build_report(get_conversation(cid), "visible")
        assert report.view["ready"] is True
        assert report.view["needs"]["votes_each"] == 6
