"""Who a participant is, through the API: personal links (an xid and its signature) give
the same participant back and nothing to whoever knows only the xid; invitations hand
those links out."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import create_conversation, join, make_facilitator
from helpers import xid_signature
from sqlalchemy import select

from consult.extensions import db
from consult.models import Participant

API = "/api/v1/conversations"


def test_xid_gives_the_same_participant_back(app, client, facilitator):
    conversation = create_conversation(client, facilitator, require_xid=True)
    url = f"{API}/{conversation['id']}/participants"
    assert client.post(url).status_code == 403
    signature = xid_signature(app, conversation["id"], "citizen-17")
    signed = {"xid": "citizen-17", "xid_signature": signature}
    first = client.post(url, json=signed)
    again = client.post(url, json=signed)
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json["participant_id"] == again.json["participant_id"]
    assert first.json["token"] != again.json["token"]


def participant_count(client, conversation_id):
    return client.get(f"{API}/{conversation_id}").json["counts"]["participants"]


def test_knowing_an_xid_without_its_signature_gives_nothing(app, client, conversation):
    cid, alice = conversation["id"], "alice@example.org"
    alice_headers = join(client, cid, xid=alice, xid_signature=xid_signature(app, cid, alice))
    before = participant_count(client, cid)
    taken = client.post(f"{API}/{cid}/participants", json={"xid": alice})
    assert taken.status_code == 403
    assert taken.json["error"]["code"] == "invalid_xid"
    assert "token" not in taken.json
    assert participant_count(client, cid) == before
    assert client.get(f"{API}/{cid}/next", headers=alice_headers).status_code == 200


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        ("forged", 403),
        ("", 403),
        ("SIGNATURE-OF-BOB", 403),
        (None, 403),
        (17, 400),
        (["x"], 400),
    ],
)
def test_a_wrong_xid_signature_is_refused(app, client, conversation, signature, status):
    cid = conversation["id"]
    if signature == "SIGNATURE-OF-BOB":
        signature = xid_signature(app, cid, "bob@example.org")
    body = {"xid": "alice@example.org", "xid_signature": signature}
    response = client.post(f"{API}/{cid}/participants", json=body)
    assert response.status_code == status
    assert participant_count(client, cid) == 0


def test_a_signature_alone_or_a_bad_xid_is_a_400(app, client, conversation):
    cid = conversation["id"]
    url = f"{API}/{cid}/participants"
    alone = client.post(url, json={"xid_signature": xid_signature(app, cid, "alice")})
    assert alone.status_code == 400
    assert client.post(url, json={"xid": 17, "xid_signature": "x"}).status_code == 400
    assert client.post(url, json={"xid": "a" * 256, "xid_signature": "x"}).status_code == 400
    assert participant_count(client, cid) == 0


def test_an_invented_xid_is_refused_on_a_consultation_that_requires_one(client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    url = f"{API}/{cid}/participants"
    invented = {"xid": "invented-1", "xid_signature": "AAAAAAAAAAAAAAAAAAAAAA"}
    for body in ({"xid": "invented-1"}, invented):
        response = client.post(url, json=body)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "invalid_xid"
    assert participant_count(client, cid) == 0


def test_a_signature_for_one_consultation_does_not_open_another(app, client, facilitator):
    first = create_conversation(client, facilitator, require_xid=True)["id"]
    second = create_conversation(client, facilitator, require_xid=True)["id"]
    body = {"xid": "citizen-17", "xid_signature": xid_signature(app, first, "citizen-17")}
    assert client.post(f"{API}/{second}/participants", json=body).status_code == 403
    assert client.post(f"{API}/{first}/participants", json=body).status_code == 201


def test_the_database_keeps_no_plain_xid(app, client, conversation):
    cid, xid = conversation["id"], "jane.doe@example.org"
    join(client, cid, xid=xid, xid_signature=xid_signature(app, cid, xid))
    with app.app_context():
        rows = db.session.execute(select(Participant.__table__)).mappings().all()
    assert len(rows) == 1
    assert all(xid not in str(value) for row in rows for value in row.values())
    assert all(name != "xid" for name in rows[0])
    assert len(rows[0]["xid_hash"]) == 64


def test_facilitator_gets_personal_links_that_work(client, facilitator, conversation):
    cid = conversation["id"]
    xids = ["alice@example.org", "bob", "alice@example.org", " carol "]
    response = client.post(
        f"{API}/{cid}/invitations", json={"xids": xids}, headers=facilitator.headers
    )
    assert response.status_code == 200
    links = response.json["links"]
    assert [link["xid"] for link in links] == ["alice@example.org", "bob", "carol"]
    query = parse_qs(urlsplit(links[0]["url"]).query)
    assert urlsplit(links[0]["url"]).path == f"/c/{cid}"
    assert query["xid"] == ["alice@example.org"]
    body = {"xid": query["xid"][0], "xid_signature": query["sig"][0]}
    first = client.post(f"{API}/{cid}/participants", json=body)
    again = client.post(f"{API}/{cid}/participants", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["participant_id"] == again.json["participant_id"]


def test_invitations_take_up_to_ten_thousand_xids(client, facilitator, conversation):
    url = f"{API}/{conversation['id']}/invitations"
    many = [f"member-{n:05d}" for n in range(10_000)]
    response = client.post(url, json={"xids": many}, headers=facilitator.headers)
    assert response.status_code == 200
    assert len(response.json["links"]) == 10_000
    too_many = {"xids": [*many, "one more"]}
    assert client.post(url, json=too_many, headers=facilitator.headers).status_code == 400


def test_invitations_only_for_the_consultations_one_runs(app, client, facilitator, conversation):
    url = f"{API}/{conversation['id']}/invitations"
    intruder = make_facilitator(app, "intruder@example.org")
    assert client.post(url, json={"xids": ["a"]}, headers=intruder.headers).status_code == 404
    assert client.post(url, json={"xids": ["a"]}).status_code == 401
    participant = join(client, conversation["id"])
    assert client.post(url, json={"xids": ["a"]}, headers=participant).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'{"xids": "alice"}',
        b'{"xids": []}',
        b'{"xids": null}',
        b'{"xids": [1]}',
        b'{"xids": [""]}',
        b'{"xids": ["   "]}',
        rb'{"xids": ["a\u0000b"]}',
        rb'{"xids": ["\ud800"]}',
        b'{"xids": [["a"]]}',
        ('{"xids": ["' + "x" * 256 + '"]}').encode(),
        b'{"xids": ["a"], "extra": 1}',
        b'{"emails": ["a"]}',
    ],
)
def test_invitations_refuse_junk_bodies(client, facilitator, conversation, body):
    response = client.post(
        f"{API}/{conversation['id']}/invitations",
        data=body,
        headers={**facilitator.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"
