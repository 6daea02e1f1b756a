"""Bursts of look-alike newcomers from one network are shown to facilitators, who may leave
them out of the analysis and bring them back; networks are kept only as expiring hashes."""

from __future__ import annotations

import random
from datetime import timedelta

from conftest import make_facilitator
from helpers import analyse, plant_votes
from sqlalchemy import select

from consult.extensions import db
from consult.models import Participant, utcnow
from consult.security import hash_address
from consult.services import brigading, consultations

API = "/api/v1/conversations"


def newcomer(client, cid: str, address: str) -> dict[str, str]:
    response = client.post(
        f"{API}/{cid}/participants", json={}, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['token']}"}


def vote_all(client, cid: str, headers, values: list[int]) -> None:
    ids = [s["id"] for s in client.get(f"{API}/{cid}/statements").json["statements"]]
    for statement_id, value in zip(ids, values, strict=False):
        answer = client.post(
            f"{API}/{cid}/votes",
            json={"statement_id": statement_id, "vote": value},
            headers=headers,
        )
        assert answer.status_code == 201


def bursts(app, cid: str) -> list[brigading.Burst]:
    with app.app_context():
        return brigading.find_bursts(consultations.get_conversation(cid))


def test_six_alike_newcomers_from_one_network_are_a_burst(app, client, conversation):
    cid = conversation["id"]
    for n in range(6):
        vote_all(client, cid, newcomer(client, cid, f"203.0.113.{10 + n}"), [1, 1, -1])

    [burst] = bursts(app, cid)

    assert len(burst.participants) == 6
    assert burst.agreement == 1.0
    assert burst.excluded == 0


def test_a_class_that_disagrees_among_itself_is_no_burst(app, client, conversation):
    cid = conversation["id"]
    rng = random.Random(3)
    for _ in range(8):
        vote_all(client, cid, newcomer(client, cid, "198.51.100.7"), rng.choices([1, -1, 0], k=3))
    assert bursts(app, cid) == []


def test_alike_votes_from_many_networks_or_hours_apart_are_no_burst(app, client, conversation):
    cid = conversation["id"]
    for n in range(6):  # six different /24 networks
        vote_all(client, cid, newcomer(client, cid, f"192.0.{n}.1"), [1, 1, -1])
    assert bursts(app, cid) == []
    for _ in range(6):  # one network, but then spread over hours
        vote_all(client, cid, newcomer(client, cid, "203.0.113.99"), [1, 1, -1])
    with app.app_context():
        rows = db.session.scalars(
            select(Participant)
            .where(Participant.address_hash.is_not(None))
            .order_by(Participant.id)
        ).all()
        for hours, participant in enumerate(rows[-6:]):
            participant.created_at = utcnow() - timedelta(hours=hours)
        db.session.commit()
    assert bursts(app, cid) == []


def test_only_a_keyed_hash_of_the_network_is_stored(app, client, conversation):
    cid = conversation["id"]
    newcomer(client, cid, "203.0.113.10")
    newcomer(client, cid, "203.0.113.200")  # same /24: the same hash
    with app.app_context():
        stored = db.session.scalars(select(Participant.address_hash)).all()
        assert len(set(stored)) == 1
        assert "203.0.113" not in stored[0]
        assert stored[0] == hash_address(app.secret_key, cid, "203.0.113.10")
        assert hash_address(app.secret_key, "other", "203.0.113.10") != stored[0]
        assert hash_address(app.secret_key, cid, "2001:db8:1:2::1") == hash_address(
            app.secret_key, cid, "2001:db8:1:ffff::9"
        )


def test_old_network_hashes_are_forgotten(app, client, conversation):
    cid = conversation["id"]
    newcomer(client, cid, "203.0.113.10")
    newcomer(client, cid, "203.0.113.11")
    with app.app_context():
        first = db.session.scalar(select(Participant).order_by(Participant.id))
        first.created_at = utcnow() - timedelta(days=31)
        db.session.commit()
        assert brigading.forget_old_addresses(30) == 1
        kept = db.session.scalars(select(Participant.address_hash).order_by(Participant.id)).all()
    assert kept[0] is None
    assert kept[1] is not None


def test_a_facilitator_leaves_a_burst_out_of_the_analysis_and_brings_it_back(
    app, client, facilitator, conversation
):
    cid = conversation["id"]
    plant_votes(app, cid, 20)
    for n in range(6):
        vote_all(client, cid, newcomer(client, cid, f"203.0.113.{n}"), [1, 1, 1])
    everyone = analyse(app, cid).summary["counts"]["participants"]
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    page = client.get(f"/facilitate/c/{cid}/bursts").get_data(as_text=True)
    assert "Leave out of the analysis" in page
    [burst] = bursts(app, cid)
    form = {"participant": [str(i) for i in burst.participants]}

    client.post(f"/facilitate/c/{cid}/bursts", data={**form, "action": "exclude"})

    assert bursts(app, cid)[0].excluded == 6
    without = analyse(app, cid)
    assert without.kind == "cold"
    assert without.summary["counts"]["participants"] == everyone - 6
    with app.app_context():  # kept, only flagged
        assert db.session.query(Participant).filter_by(conversation_id=cid).count() == 26

    client.post(f"/facilitate/c/{cid}/bursts", data={**form, "action": "include"})
    assert analyse(app, cid).summary["counts"]["participants"] == everyone


def test_another_facilitator_cannot_touch_the_bursts(app, client, conversation):
    other = make_facilitator(app, "other@example.org")
    client.post("/facilitate/login", data={"email": other.email, "password": other.password})
    cid = conversation["id"]
    assert client.get(f"/facilitate/c/{cid}/bursts").status_code == 404
    answer = client.post(
        f"/facilitate/c/{cid}/bursts", data={"participant": "1", "action": "exclude"}
    )
    assert answer.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Participant.excluded_at)) is None
