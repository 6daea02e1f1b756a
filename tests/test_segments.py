"""Segments: named invitation links. A new participant gets the segment of the link they came
by; someone who already takes part keeps theirs; counts are hidden under CONSULT_MIN_CELL;
no segment is ever in an export, but a participant's own download names theirs."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from conftest import create_conversation, join, make_app, make_facilitator
from flask import Flask
from flask.testing import FlaskClient
from helpers import personal_link, xid_signature
from sqlalchemy import select
from test_openapi import Api, Spec
from test_questions import vote_by_form
from test_questions_facilitation import log_in

from consult.extensions import db
from consult.models import Participant, Segment
from consult.services import consultations, segments

API = "/api/v1/conversations/{cid}/segments"
PAGE = "/facilitate/c/{cid}/segments"
NAME = "Members of the Quokka assembly"  # words found nowhere else, to spot in any file


def add_segment(app: Flask, cid: str, name: str = NAME) -> tuple[int, str]:
    with app.app_context():
        segment = segments.create_segment(consultations.get_conversation(cid), name)
        return segment.id, segment.code


def segment_ids(app: Flask, cid: str) -> list[int | None]:
    with app.app_context():
        query = select(Participant.segment_id).filter_by(conversation_id=cid)
        return list(db.session.scalars(query.order_by(Participant.id)))


def stored_segments(app: Flask, cid: str) -> list[str]:
    with app.app_context():
        query = select(Segment.name).filter_by(conversation_id=cid).order_by(Segment.id)
        return list(db.session.scalars(query))


def test_a_segment_link_gives_new_participants_its_segment(app, client, conversation):
    cid = conversation["id"]
    segment_id, code = add_segment(app, cid)
    response = client.get(f"/c/{cid}/s/{code}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{cid}")
    vote_by_form(client, cid)
    assert segment_ids(app, cid) == [segment_id]


def test_an_existing_participant_keeps_their_first_segment(app, client, conversation):
    cid = conversation["id"]
    first, first_code = add_segment(app, cid)
    _other, other_code = add_segment(app, cid, "The general public")
    client.get(f"/c/{cid}/s/{first_code}")
    vote_by_form(client, cid)
    client.get(f"/c/{cid}/s/{other_code}")
    vote_by_form(client, cid)
    assert segment_ids(app, cid) == [first]


def test_a_plain_link_gives_no_segment(app, client, conversation):
    cid = conversation["id"]
    add_segment(app, cid)
    vote_by_form(client, cid)
    assert segment_ids(app, cid) == [None]


def test_an_unknown_code_is_a_clear_404_and_stores_nothing(app, client, conversation):
    cid = conversation["id"]
    add_segment(app, cid)
    response = client.get(f"/c/{cid}/s/not-a-code")
    assert response.status_code == 404
    assert b"not (or no longer) one of this consultation" in response.data
    with client.session_transaction() as session:
        assert "segments" not in session
    vote_by_form(client, cid)
    assert segment_ids(app, cid) == [None]


def test_a_code_of_another_consultation_is_unknown_here(app, client, facilitator):
    first = create_conversation(client, facilitator)["id"]
    second = create_conversation(client, facilitator)["id"]
    _segment_id, code = add_segment(app, first)
    assert client.get(f"/c/{second}/s/{code}").status_code == 404


def test_a_segment_link_does_not_open_an_invitation_only_consultation(app, client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    _segment_id, code = add_segment(app, cid)
    client.get(f"/c/{cid}/s/{code}")
    page = client.get(f"/c/{cid}").data
    assert b'name="statement_id"' not in page
    response = client.post(f"/c/{cid}/vote", data={"statement_id": "1", "vote": "1"})
    assert response.status_code in (302, 403)
    assert segment_ids(app, cid) == []


def test_a_personal_link_may_carry_a_segment(app, client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    segment_id, code = add_segment(app, cid)
    client.get(personal_link(app, cid, "member-7") + f"&s={code}")
    vote_by_form(client, cid)
    assert segment_ids(app, cid) == [segment_id]


def test_a_personal_link_with_an_unknown_segment_still_works_without_one(app, client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    add_segment(app, cid)
    client.get(personal_link(app, cid, "member-8") + "&s=forged")
    vote_by_form(client, cid)
    assert segment_ids(app, cid) == [None]


def test_the_personal_links_csv_carries_the_chosen_segment(app, client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    segment_id, code = add_segment(app, cid)
    log_in(client, facilitator)
    assert NAME.encode() in client.get(f"/facilitate/c/{cid}").data  # the form's choice
    form = {"xids": "member-9", "segment": str(segment_id)}
    csv = client.post(f"/facilitate/c/{cid}/links", data=form).get_data(as_text=True)
    url = csv.splitlines()[1].split(",", 1)[1]
    assert f"s={code}" in url
    refused = client.post(f"/facilitate/c/{cid}/links", data={**form, "segment": "99999"})
    assert refused.status_code == 302  # back to the form, with why


def test_an_api_participant_may_pass_a_segment_code(app, client, conversation):
    cid = conversation["id"]
    segment_id, code = add_segment(app, cid)
    join(client, cid, segment=code)
    refused = client.post(f"/api/v1/conversations/{cid}/participants", json={"segment": "nope"})
    assert refused.status_code == 400
    assert refused.json["error"]["field"] == "segment"
    wrong_type = client.post(f"/api/v1/conversations/{cid}/participants", json={"segment": 5})
    assert wrong_type.status_code == 400
    assert segment_ids(app, cid) == [segment_id]


def test_facilitator_api_creates_lists_renames_and_deletes(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    url, headers = API.format(cid=cid), facilitator.headers
    created = client.post(url, json={"name": "  The assembly  "}, headers=headers)
    assert created.status_code == 201
    body = created.json
    assert body["name"] == "The assembly"
    assert body["url"].endswith(f"/c/{cid}/s/{body['code']}")
    assert body["participants"] == 0  # nobody yet: a zero points at no one, so it is shown
    assert client.get(url, headers=headers).json["segments"] == [body]
    renamed = client.patch(f"{url}/{body['id']}", json={"name": "Assembly"}, headers=headers)
    assert renamed.status_code == 200
    assert renamed.json["name"] == "Assembly"
    assert client.delete(f"{url}/{body['id']}", headers=headers).status_code == 204
    assert client.get(url, headers=headers).json["segments"] == []


def test_facilitator_api_refuses_bad_input_and_changes_nothing(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    url, headers = API.format(cid=cid), facilitator.headers
    segment_id = client.post(url, json={"name": NAME}, headers=headers).json["id"]
    bad_bodies: list[Any] = [None, [], {"name": ""}, {"name": 5}, {"name": "x" * 81}]
    bad_bodies += [{"name": "ok", "extra": 1}, {"name": "a\x00b"}]
    assert client.post(url, json={"name": NAME}, headers=headers).status_code == 409
    for body in bad_bodies:
        assert client.post(url, json=body, headers=headers).status_code == 400, body
        patched = client.patch(f"{url}/{segment_id}", json=body, headers=headers)
        assert patched.status_code == 400, body
    other = client.post(url, json={"name": "Other"}, headers=headers).json["id"]
    assert client.patch(f"{url}/{other}", json={"name": NAME}, headers=headers).status_code == 409
    for missing in ("99999", "abc", "1" * 30):
        patched = client.patch(f"{url}/{missing}", json={"name": "x"}, headers=headers)
        assert patched.status_code == 404
        assert client.delete(f"{url}/{missing}", headers=headers).status_code == 404
    assert stored_segments(app, cid) == [NAME, "Other"]


def test_other_facilitators_cannot_see_or_change_segments(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    segment_id, _code = add_segment(app, cid)
    other = make_facilitator(app, "other@example.org")
    url = API.format(cid=cid)
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.post(url, json={"name": "x"}, headers=other.headers).status_code == 404
    assert client.delete(f"{url}/{segment_id}", headers=other.headers).status_code == 404
    log_in(client, other)
    page = PAGE.format(cid=cid)
    assert client.get(page).status_code == 404
    assert client.post(f"{page}/{segment_id}/delete").status_code == 404
    assert stored_segments(app, cid) == [NAME]


def test_facilitator_page_creates_renames_and_deletes(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    log_in(client, facilitator)
    page = PAGE.format(cid=cid)
    assert page.encode() in client.get(f"/facilitate/c/{cid}").data
    assert client.post(page, data={"name": NAME}).status_code == 302
    (segment_id,) = [s for s, _ in _segments(app, cid)]
    shown = client.get(page).data.decode()
    assert NAME in shown
    assert f"/c/{cid}/s/" in shown
    assert "Participants: 0" in shown  # nobody yet; a zero points at no one
    assert client.post(f"{page}/{segment_id}", data={"name": "Assembly"}).status_code == 302
    assert stored_segments(app, cid) == ["Assembly"]
    for bad in ("", "x" * 81, "Assembly"):
        refused = client.post(page, data={"name": bad})
        assert refused.status_code in (400, 409), bad
    assert "already has a segment named “Assembly”" in refused.get_data(as_text=True)
    assert client.post(f"{page}/{segment_id}", data={"name": ""}).status_code == 400
    assert client.post(f"{page}/99999", data={"name": "y"}).status_code == 404
    assert stored_segments(app, cid) == ["Assembly"]
    assert client.post(f"{page}/{segment_id}/delete").status_code == 302
    assert stored_segments(app, cid) == []


def _segments(app: Flask, cid: str) -> list[tuple[int, str]]:
    with app.app_context():
        conversation = consultations.get_conversation(cid)
        return [(s.id, s.code) for s in segments.segments_of(conversation)]


def test_deleting_a_segment_keeps_its_participants(app, client, conversation):
    cid = conversation["id"]
    segment_id, code = add_segment(app, cid)
    join(client, cid, segment=code)
    with app.app_context():
        segments.delete_segment(
            segments.get_segment(consultations.get_conversation(cid), segment_id)
        )
    assert segment_ids(app, cid) == [None]


def counted(app: Flask, client: FlaskClient, headers: dict[str, str], cid: str) -> Any:
    return client.get(API.format(cid=cid), headers=headers).json["segments"][0]["participants"]


def test_counts_are_shown_only_from_the_small_cell_minimum(database_url):
    app = make_app(database_url, csrf=False, CONSULT_MIN_CELL=3)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    facilitator = make_facilitator(app)
    cid = create_conversation(client, facilitator)["id"]
    _segment_id, code = add_segment(app, cid)
    for expected in (None, None, 3, 4):  # 1 and 2 hidden (0 came by no link: shown as known)
        join(client, cid, segment=code)
        assert counted(app, client, facilitator.headers, cid) == expected
    log_in(client, facilitator)
    assert "Participants: 4" in client.get(PAGE.format(cid=cid)).get_data(as_text=True)
    with app.app_context():
        db.drop_all()


def test_a_hidden_count_cannot_be_worked_out_from_the_total(database_url):
    # Everyone came by a segment's link: total 12 - 10 shown would give the hidden 2 back.
    app = make_app(database_url, csrf=False, CONSULT_MIN_CELL=10)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    facilitator = make_facilitator(app)
    cid = create_conversation(client, facilitator)["id"]
    _first, small = add_segment(app, cid, "Assembly")
    _second, large = add_segment(app, cid, "Public")
    for code in [small] * 2 + [large] * 10:
        join(client, cid, segment=code)
    shown = client.get(API.format(cid=cid), headers=facilitator.headers).json["segments"]
    assert [segment["participants"] for segment in shown] == [None, None]
    join(client, cid, segment=large)  # a second small segment beside it: 2 and 11 of 13
    _third, other = add_segment(app, cid, "Partners")
    for _ in range(3):
        join(client, cid, segment=other)
    shown = client.get(API.format(cid=cid), headers=facilitator.headers).json["segments"]
    assert [segment["participants"] for segment in shown] == [None, 11, None]
    with app.app_context():
        db.drop_all()


def test_no_export_file_holds_a_segment_but_the_own_download_does(app, client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    _segment_id, code = add_segment(app, cid)
    client.get(f"/c/{cid}/s/{code}")
    vote_by_form(client, cid)
    own = json.loads(client.get(f"/c/{cid}/my-data.json").get_data())
    assert own["participant"]["segment"] == NAME
    archive = zipfile.ZipFile(
        io.BytesIO(
            client.get(
                f"/api/v1/conversations/{cid}/export/export.zip", headers=facilitator.headers
            ).data
        )
    )
    assert archive.namelist()
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8")
        for word in (NAME, "Quokka", code, "segment"):
            assert word not in text, (name, word)


def test_every_segment_answer_is_one_the_spec_describes(app, client, facilitator):
    api = Api(client, Spec(client.get("/api/v1/openapi.json").json))
    cid = create_conversation(client, facilitator)["id"]
    headers, one = facilitator.headers, "/conversations/{conversation_id}/segments/{segment_id}"
    many = "/conversations/{conversation_id}/segments"
    created = api.call("post", many, cid, body={"name": NAME}, headers=headers)
    assert created.status_code == 201
    code, ids = created.json["code"], {"segment_id": str(created.json["id"])}
    assert api.call("post", many, cid, body={"name": NAME}, headers=headers).status_code == 409
    assert api.call("post", many, cid, body={"name": ""}, headers=headers).status_code == 400
    assert api.call("get", many, cid).status_code == 401
    me = api.call(
        "post", "/conversations/{conversation_id}/participants", cid, body={"segment": code}
    )
    assert me.status_code == 201
    assert api.call("get", many, cid, headers=headers).json["segments"][0]["participants"] is None
    body = {"name": "Renamed"}
    assert api.call("patch", one, cid, body=body, headers=headers, path_ids=ids).status_code == 200
    missing = {"segment_id": "99999"}
    assert (
        api.call("patch", one, cid, body=body, headers=headers, path_ids=missing).status_code == 404
    )
    assert api.call("delete", one, cid, headers=headers, path_ids=ids).status_code == 204


def test_a_known_xid_keeps_its_first_segment_through_the_api(app, client, conversation):
    cid = conversation["id"]
    first, first_code = add_segment(app, cid)
    _other, other_code = add_segment(app, cid, "Partners")
    signed = {"xid": "member-1", "xid_signature": xid_signature(app, cid, "member-1")}
    join(client, cid, **signed, segment=first_code)
    join(client, cid, **signed, segment=other_code)
    assert segment_ids(app, cid) == [first]
