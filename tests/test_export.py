"""Open data export: Polis's files, their headers, pseudonymous ids, formula safety, access."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from conftest import create_conversation, join, make_facilitator
from helpers import DISTINCT_STATEMENTS, personal_link, xid_signature
from sqlalchemy import select, update

from consult.extensions import db
from consult.models import VoteEvent
from consult.services.analysis_runs import refresh
from consult.services.consultations import get_conversation
from consult.services.errors import InvalidInput
from consult.services.exports import (
    ConversationExport,
    group_label,
    votes_csv_sha256,
    write_export,
)
from consult.services.polis_csv import formula_safe, from_formula_safe, polis_datetime
from consult.services.vote_memory import VoteMemory

API = "/api/v1/conversations"
HEADERS = {
    "comments.csv": "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,"
    "comment-body",
    "votes.csv": "timestamp,datetime,comment-id,voter-id,vote",
    "meta.csv": "comment-id",
}
RISKY = ["=SUM(A1:A9)", "+33 1 23 45", "-1 is a number", "@admin look", "'quoted already"]


def export_url(cid: str, name: str) -> str:
    return f"{API}/{cid}/export/{name}"


def statement_ids(client, cid: str) -> list[int]:
    return [s["id"] for s in client.get(f"{API}/{cid}/statements").json["statements"]]


def vote(client, cid, headers, statement_id, value) -> None:
    answer = client.post(
        f"{API}/{cid}/votes", json={"statement_id": statement_id, "vote": value}, headers=headers
    )
    assert answer.status_code == 201, answer.json


def two_camps(client, cid: str, voters: int = 20) -> None:
    ids = statement_ids(client, cid)
    for n in range(voters):
        headers = join(client, cid)
        for k, sid in enumerate(ids):
            vote(client, cid, headers, sid, 1 if (k % 2 == 0) == (n % 2 == 0) else -1)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def analysed(app, client, facilitator):
    """A consultation in two camps, analysed once."""
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    two_camps(client, cid)
    with app.app_context():
        assert refresh(cid, VoteMemory()) is not None
    return cid


def test_every_file_starts_with_polis_header(client, analysed):
    n = len(DISTINCT_STATEMENTS)
    numbers = ",".join(str(k) for k in range(n))
    groups = "".join(
        f",group-{g}-votes,group-{g}-agrees,group-{g}-disagrees,group-{g}-passes" for g in "ab"
    )
    expected = {
        **HEADERS,
        "participant-votes.csv": "participant,group-id,n-comments,n-votes,n-agree,n-disagree,"
        + numbers,
        "comment-groups.csv": "comment-id,comment,total-votes,total-agrees,total-disagrees,"
        "total-passes" + groups,
    }
    for name, header in expected.items():
        answer = client.get(export_url(analysed, name))
        assert answer.status_code == 200, name
        assert answer.mimetype == "text/csv"
        text = answer.get_data(as_text=True)
        assert text.split("\n", 1)[0] == header, name
        assert "\r" not in text
        assert text.endswith("\n")
    summary = rows(client.get(export_url(analysed, "summary.csv")).get_data(as_text=True))
    assert [row[0] for row in summary] == [
        "topic",
        "url",
        "voters",
        "voters-in-conv",
        "commenters",
        "comments",
        "groups",
        "conversation-description",
    ]
    assert dict(summary)["voters"] == "20"
    assert dict(summary)["comments"] == str(n)
    assert dict(summary)["groups"] == "2"
    assert dict(summary)["url"].endswith(f"/c/{analysed}")


def test_texts_are_quoted_as_polis_quotes_them(client, facilitator):
    cid = create_conversation(
        client, facilitator, topic='The "big" question', seed_statements=['Say "yes", or no']
    )["id"]
    comments = client.get(export_url(cid, "comments.csv")).get_data(as_text=True)
    assert comments.splitlines()[1].endswith(',"Say ""yes"", or no"')
    summary = client.get(export_url(cid, "summary.csv")).get_data(as_text=True)
    assert summary.splitlines()[0] == 'topic,"The ""big"" question"'


def test_without_an_analysis_groups_are_empty_and_there_is_no_analysis_json(client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    vote(client, cid, headers, statement_ids(client, cid)[0], 1)
    participant_votes = rows(client.get(export_url(cid, "participant-votes.csv")).get_data(True))
    assert participant_votes[1][:6] == ["0", "", "0", "1", "1", "0"]
    groups = client.get(export_url(cid, "comment-groups.csv")).get_data(as_text=True)
    assert groups.split("\n", 1)[0].endswith("total-passes")
    assert client.get(export_url(cid, "analysis.json")).status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(client.get(export_url(cid, "export.zip")).data))
    assert "analysis.json" not in archive.namelist()


def test_votes_csv_keeps_every_event_with_polis_values(app, client, conversation):
    cid = conversation["id"]
    first, second = statement_ids(client, cid)[:2]
    alice, bob = join(client, cid), join(client, cid)
    vote(client, cid, alice, first, 1)
    vote(client, cid, bob, first, -1)
    vote(client, cid, alice, first, 0)  # a change of mind is a second event
    vote(client, cid, bob, second, 1)
    votes = rows(client.get(export_url(cid, "votes.csv")).get_data(as_text=True))[1:]
    assert [(r[2], r[3], r[4]) for r in votes] == [
        ("0", "0", "1"),
        ("0", "1", "-1"),
        ("0", "0", "0"),
        ("1", "1", "1"),
    ]
    with app.app_context():
        created = db.session.scalars(select(VoteEvent.created_at).order_by(VoteEvent.id)).all()
    assert [int(r[0]) for r in votes] == [int(c.replace(tzinfo=UTC).timestamp()) for c in created]
    assert votes[0][1] == polis_datetime(created[0])
    comments = rows(client.get(export_url(cid, "comments.csv")).get_data(as_text=True))
    assert comments[1][4:7] == ["0", "1", "1"]  # the current votes: one pass, one disagree


def test_polis_datetime_is_javascripts_date_to_string_in_utc():
    moment = datetime(2015, 6, 30, 7, 49, 52, 999000, tzinfo=UTC)
    written = "Tue Jun 30 2015 07:49:52 GMT+0000 (Coordinated Universal Time)"
    assert polis_datetime(moment) == written
    assert group_label(0) == "a"
    assert group_label(25) == "z"
    assert group_label(26) == "aa"


def test_participants_are_small_stable_numbers_and_no_personal_data(app, client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=False)["id"]
    xid = "person-42@example.org"
    headers = join(client, cid, xid=xid, xid_signature=xid_signature(app, cid, xid))
    token = headers["Authorization"].split()[1]
    other = join(client, cid)
    sid = statement_ids(client, cid)[0]
    vote(client, cid, other, sid, 1)
    vote(client, cid, headers, sid, -1)
    client.get(personal_link(app, cid, xid))
    everything = client.get(export_url(cid, "export.zip")).data
    archive = zipfile.ZipFile(io.BytesIO(everything))
    text = "".join(archive.read(name).decode() for name in archive.namelist())
    for secret in (xid, token, facilitator.email, facilitator.token):
        assert secret not in text
    with app.app_context():
        hashed = db.session.execute(select(db.text("xid_hash FROM participants"))).scalars()
        assert all(h is None or h not in text for h in hashed)
    votes = rows(archive.read("votes.csv").decode())[1:]
    assert [r[3] for r in votes] == ["1", "0"]  # by when they joined: the xid person first
    again = rows(client.get(export_url(cid, "votes.csv")).get_data(as_text=True))[1:]
    assert again == votes


def test_formula_safe_texts_in_csv_and_back(client, facilitator):
    cid = create_conversation(client, facilitator, topic="=HYPERLINK(1)", seed_statements=RISKY)[
        "id"
    ]
    for name in ("comments.csv", "comment-groups.csv", "summary.csv"):
        text = client.get(export_url(cid, name)).get_data(as_text=True)
        cells = [cell for row in rows(text) for cell in row]
        for risky in RISKY + ["=HYPERLINK(1)"]:
            if risky in text:
                assert "'" + risky in cells, (name, risky)
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
        assert not any(cell.startswith("-") and not cell.lstrip("-").isdigit() for cell in cells)


@pytest.mark.parametrize(
    "text", ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "'x", "''x", "'=x", "plain", "", "'"]
)
def test_formula_safety_is_undone_exactly(text):
    escaped = formula_safe(text)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert from_formula_safe(escaped) == text


def test_analysis_json_uses_the_export_numbers(client, analysed):
    document = json.loads(client.get(export_url(analysed, "analysis.json")).get_data(as_text=True))
    assert document["version"] == 1
    analysis = document["analysis"]
    assert "state" not in analysis
    assert sorted(p["id"] for p in analysis["participants"]) == list(range(20))
    assert sorted(s["id"] for s in analysis["statements"]) == list(range(len(DISTINCT_STATEMENTS)))
    grouped = rows(client.get(export_url(analysed, "participant-votes.csv")).get_data(True))[1:]
    by_number = {p["id"]: p["group"] for p in analysis["participants"]}
    assert {int(r[0]): int(r[1]) for r in grouped} == by_number


def test_a_published_outcome_is_exported_with_the_export_numbers(client, facilitator, analysed):
    def outcome(body, rest=""):
        answer = client.open(
            f"{API}/{analysed}/outcome{rest}",
            method="POST" if rest else "PUT",
            json=body,
            headers=facilitator.headers,
        )
        assert answer.status_code in (200, 201), answer.json

    outcome({"text": "Adopted in part.", "published": False})
    assert client.get(export_url(analysed, "outcome.json")).status_code == 404  # a draft
    last = statement_ids(client, analysed)[-1]
    outcome({"statement_id": last, "status": "adopted", "text": "Article 4."}, "/responses")
    outcome({"text": "Adopted in part.", "published": True})
    document = json.loads(client.get(export_url(analysed, "outcome.json")).get_data(as_text=True))
    assert document["text"] == "Adopted in part."
    [response] = document["responses"]
    assert response["statement_id"] == len(DISTINCT_STATEMENTS) - 1  # the comment-id, not the row
    assert response["text"] == "Article 4."
    archive = zipfile.ZipFile(io.BytesIO(client.get(export_url(analysed, "export.zip")).data))
    assert json.loads(archive.read("outcome.json")) == document


def test_zip_holds_every_file_and_is_streamed(client, analysed):
    answer = client.get(export_url(analysed, "export.zip"), buffered=False)
    assert answer.status_code == 200
    assert answer.is_streamed
    assert answer.mimetype == "application/zip"
    assert f'filename="{analysed}-export.zip"' in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    assert sorted(archive.namelist()) == sorted(
        [
            "summary.csv",
            "comments.csv",
            "votes.csv",
            "participant-votes.csv",
            "comment-groups.csv",
            "meta.csv",
            "analysis.json",
        ]
    )
    assert archive.read("votes.csv") == client.get(export_url(analysed, "votes.csv")).data
    csv_answer = client.get(export_url(analysed, "votes.csv"), buffered=False)
    assert csv_answer.is_streamed
    assert csv_answer.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_votes_hash_and_cutoff(app, client, conversation):
    cid = conversation["id"]
    sid = statement_ids(client, cid)[0]
    early, late = join(client, cid), join(client, cid)
    vote(client, cid, early, sid, 1)
    vote(client, cid, late, sid, -1)
    with app.app_context():
        old = datetime(2020, 1, 1, tzinfo=UTC)
        first = db.session.scalar(select(VoteEvent.id).order_by(VoteEvent.id))
        db.session.execute(update(VoteEvent).where(VoteEvent.id == first).values(created_at=old))
        db.session.commit()
        conversation_row = get_conversation(cid)
        served = client.get(export_url(cid, "votes.csv")).data
        assert votes_csv_sha256(conversation_row) == hashlib.sha256(served).hexdigest()
        cut = old + timedelta(seconds=1)
        until = list(ConversationExport(conversation_row, until=cut).votes())
        assert len(until) == 2  # the header and the early vote
        assert (
            votes_csv_sha256(conversation_row, until=cut)
            == hashlib.sha256("".join(until).encode()).hexdigest()
        )
        current = rows("".join(ConversationExport(conversation_row, until=cut).comments()))
        assert current[1][4:6] == ["1", "0"]  # as of the cut-off: one agree, no disagree


def test_cli_export_writes_the_files(app, client, analysed, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", analysed, str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for name in ("comments.csv", "votes.csv", "analysis.json"):
        assert (tmp_path / "out" / name).read_bytes() == client.get(export_url(analysed, name)).data
    summary = (tmp_path / "out" / "summary.csv").read_text()
    assert f"url,http://127.0.0.1:5000/c/{analysed}\n" in summary
    bad = runner.invoke(args=["export", analysed, str(tmp_path / "x"), "--until", "yesterday"])
    assert bad.exit_code != 0
    assert "--until" in bad.output
    missing = runner.invoke(args=["export", "nope", str(tmp_path / "y")])
    assert missing.exit_code == 1
    assert "no such consultation" in missing.output.lower()
    # Into a folder that holds something: refused, nothing in it touched (an earlier
    # export's outcome.json would otherwise stay, saying it is published).
    (tmp_path / "out" / "summary.csv").write_text("edited by hand")
    again = runner.invoke(args=["export", analysed, str(tmp_path / "out")])
    assert again.exit_code == 1
    assert "is not empty: export into a new or empty folder" in again.output
    assert (tmp_path / "out" / "summary.csv").read_text() == "edited by hand"
    with app.app_context(), pytest.raises(InvalidInput, match="is a file: export into a folder"):
        write_export(get_conversation(analysed), tmp_path / "out" / "summary.csv", url="x")


def test_private_results_are_for_its_facilitators_only(app, client, facilitator):
    cid = create_conversation(client, facilitator, results_public=False)["id"]
    other = make_facilitator(app, "other@example.org")
    for name in ("votes.csv", "export.zip"):
        assert client.get(export_url(cid, name)).status_code == 404
        assert client.get(export_url(cid, name), headers=other.headers).status_code == 404
        assert client.get(export_url(cid, name), headers=facilitator.headers).status_code == 200
    login = client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    assert login.status_code == 302
    assert client.get(export_url(cid, "summary.csv")).status_code == 200


@pytest.mark.parametrize("name", ["nothing.csv", "votes", "..%2Fsecret", "export.tar"])
def test_unknown_files_are_404(client, conversation, name):
    answer = client.get(export_url(conversation["id"], name))
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"


def test_unknown_conversation_is_404(client):
    assert client.get(export_url("nope", "votes.csv")).status_code == 404
