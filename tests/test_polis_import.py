"""Importing Polis export folders: errors named by file and line, all or nothing, round trips."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from conftest import create_conversation, join, make_facilitator
from helpers import DISTINCT_STATEMENTS
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import func, select

from clustering.analysis import analyze
from clustering.polis_export import read_export
from consult.extensions import db
from consult.models import Conversation, Participant, Statement, Vote, VoteEvent
from consult.services.analysis_runs import refresh
from consult.services.consultations import get_conversation
from consult.services.exports import write_export
from consult.services.polis_csv import from_formula_safe
from consult.services.vote_memory import VoteMemory

API = "/api/v1/conversations"
POLIS_DATA = Path(__file__).parent / "data" / "polis"
CONVERSATIONS = sorted(p.name for p in POLIS_DATA.iterdir() if p.is_dir())
COMMENTS_HEADER = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"
VOTES_HEADER = "timestamp,datetime,comment-id,voter-id,vote"


def import_folder(app, folder: Path, *options: str):
    return app.test_cli_runner().invoke(args=["import-polis", str(folder), *options])


def imported_id(app, folder: Path) -> str:
    result = import_folder(app, folder)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def export_to(app, conversation_id: str, folder: Path) -> Path:
    with app.app_context():
        write_export(get_conversation(conversation_id), folder, url="http://x/c/1")
    return folder


def vote_events(folder: Path) -> list[tuple[int, int, int, int]]:
    """(seconds, comment, voter, vote) of votes.csv, voters renamed by first appearance."""
    names: dict[int, int] = {}
    events = []
    with open(folder / "votes.csv", encoding="utf-8", newline="") as handle:
        # Stable: events in the same instant keep the file's order, as the importer keeps it.
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["timestamp"]))
    for row in rows:
        stamp = int(row["timestamp"])
        seconds = stamp // 1000 if stamp >= 10**11 else stamp
        voter = names.setdefault(int(row["voter-id"]), len(names))
        events.append((seconds, int(row["comment-id"]), voter, int(row["vote"])))
    return sorted(events)


def statements(folder: Path) -> dict[int, tuple[str, str]]:
    """comment id -> (text, moderated), texts as the importer reads them."""
    with open(folder / "comments.csv", encoding="utf-8", newline="") as handle:
        return {
            int(r["comment-id"]): (from_formula_safe(r["comment-body"]), r["moderated"])
            for r in csv.DictReader(handle)
        }


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Conversation, Participant, Statement, Vote, VoteEvent)
        )


def write_folder(folder: Path, comments: list[str], votes: list[str]) -> Path:
    folder.mkdir()
    (folder / "comments.csv").write_text("\n".join([COMMENTS_HEADER, *comments]) + "\n")
    (folder / "votes.csv").write_text("\n".join([VOTES_HEADER, *votes]) + "\n")
    return folder


GOOD_COMMENTS = [
    '1403054214,Wed Jun 18 2014,0,0,1,0,1,"Buses ""now"""',
    "1403054215,Wed Jun 18 2014,1,1,0,1,-1,=1+1",
]
GOOD_VOTES = ["1403054300,x,0,0,1", "1403054301,x,1,2,-1", "1403054302,x,0,2,0"]


@pytest.mark.usefixtures("facilitator")
def test_a_small_current_export_is_imported(app, client, tmp_path):
    folder = write_folder(tmp_path / "small", GOOD_COMMENTS, GOOD_VOTES)
    (folder / "summary.csv").write_text('topic,"A ""small"" one"\nurl,x\nvoters,2\n')
    (folder / "participant-votes.csv").write_text("not,even,read\n")  # optional, not needed
    cid = imported_id(app, folder)
    with app.app_context():
        conversation = get_conversation(cid)
        assert conversation.topic == 'A "small" one'
        assert conversation.is_open is False
        texts = db.session.scalars(select(Statement.text).order_by(Statement.id)).all()
        assert texts == ['Buses "now"', "=1+1"]
        assert counts(app) == (1, 3, 2, 3, 3)
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 3


@pytest.mark.usefixtures("facilitator")
def test_the_limit_admits_every_shown_statement_and_rejected_ones_stay_as_they_were(app, tmp_path):
    long_shown, long_rejected = "a" * 300, "b" * 2500
    comments = [f"1,x,0,0,1,0,1,{long_shown}", f"1,x,1,0,1,0,-1,{long_rejected}", "1,x,2,0,1,0,-1,"]
    cid = imported_id(app, write_folder(tmp_path / "long", comments, ["2,x,0,0,1"]))
    with app.app_context():
        assert get_conversation(cid).statement_max_length == 300
        texts = db.session.scalars(select(Statement.text).order_by(Statement.id)).all()
        assert texts == [long_shown, long_rejected, ""]


@pytest.mark.parametrize(
    ("comments", "votes", "message"),
    [
        (GOOD_COMMENTS, [*GOOD_VOTES, "1403054303,x,0,1,2"], "votes.csv, line 5: vote must be"),
        (GOOD_COMMENTS, ["1403054300,x,0,zero,1"], "votes.csv, line 2: voter-id must be a whole"),
        (GOOD_COMMENTS, ["1403054300,x,7,0,1"], "votes.csv, line 2: comment-id 7 is not in"),
        (GOOD_COMMENTS, ["1403054300,x,0"], "votes.csv, line 2: 5 columns expected"),
        ([*GOOD_COMMENTS, GOOD_COMMENTS[0]], GOOD_VOTES, "comments.csv, line 4: comment-id 0 rep"),
        (["1,x,0,0,1,0,5,hi"], [], "comments.csv, line 2: moderated must be"),
        (['1,x,0,0,1,0,1,"never closed'], [], "comments.csv, line 2"),
        (["1,x,0,0,1,0,1,a\x00b"], [], "comments.csv, line 2"),
        (GOOD_COMMENTS, ["10" * 10 + ",x,0,0,1"], "votes.csv, line 2: timestamp 1010"),
        (['1,x,0,0,1,0,1," "'], [], "comments.csv, line 2: comment-body is empty"),
        (["1,x,0,0,1,0,0," + "a" * 2001], [], "comments.csv, line 2: comment-body is 2001 char"),
    ],
)
def test_malformed_files_are_refused_by_file_and_line(
    app, facilitator, tmp_path, comments, votes, message
):
    before = counts(app)
    result = import_folder(app, write_folder(tmp_path / "bad", comments, votes))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts(app) == before


@pytest.mark.usefixtures("facilitator")
def test_missing_files_header_and_encoding_are_refused(app, tmp_path):
    folder = write_folder(tmp_path / "x", GOOD_COMMENTS, GOOD_VOTES)
    (folder / "votes.csv").write_text("time,comment-id,voter-id,vote\n1,0,0,1\n")
    result = import_folder(app, folder)
    assert result.exit_code == 1
    assert "votes.csv, line 1: no column timestamp" in result.output
    (folder / "votes.csv").write_bytes(VOTES_HEADER.encode() + b"\n1,x,0,0,\xff\n")
    assert "votes.csv, line 2" in import_folder(app, folder).output
    (folder / "votes.csv").unlink()
    assert "votes.csv: the file is missing" in import_folder(app, folder).output
    assert counts(app)[0] == 0


def test_the_owner_is_named_when_there_are_several(app, facilitator, tmp_path):
    folder = write_folder(tmp_path / "x", GOOD_COMMENTS, GOOD_VOTES)
    make_facilitator(app, "second@example.org")
    assert "--owner EMAIL" in import_folder(app, folder).output
    assert import_folder(app, folder, "--owner", "nobody@example.org").exit_code == 1
    result = import_folder(app, folder, "--owner", "second@example.org")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_conversation(result.output.split()[-1]).owner.email == "second@example.org"


@pytest.mark.usefixtures("facilitator")
@pytest.mark.parametrize("name", CONVERSATIONS)
def test_polis_folder_import_then_export_keeps_votes_and_statements(app, tmp_path, name):
    source = POLIS_DATA / name
    cid = imported_id(app, source)
    exported = export_to(app, cid, tmp_path / "out")
    assert vote_events(exported) == vote_events(source)
    assert statements(exported) == statements(source)
    with open(exported / "votes.csv", encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n") == VOTES_HEADER
    meta = source / "meta.csv"
    expected_meta = meta.read_text() if meta.exists() else "comment-id\n"
    assert (exported / "meta.csv").read_text() == expected_meta


@pytest.mark.usefixtures("facilitator")
def test_an_exported_consultation_comes_back_the_same(app, client, facilitator, tmp_path):
    risky = ["=SUM(A1)", "'quoted", "+1 more", 'Say "yes"\nor no']
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS[:4] + risky)[
        "id"
    ]
    ids = [s["id"] for s in client.get(f"{API}/{cid}/statements?per_page=50").json["statements"]]
    voters = [join(client, cid) for _ in range(4)]
    for n, headers in enumerate(voters):
        for k, sid in enumerate(ids):
            value = (1, -1, 0)[(n + k) % 3]
            client.post(
                f"{API}/{cid}/votes", json={"statement_id": sid, "vote": value}, headers=headers
            )
    changed = client.post(
        f"{API}/{cid}/votes", json={"statement_id": ids[0], "vote": -1}, headers=voters[0]
    )
    assert changed.status_code == 201
    added = client.post(
        f"{API}/{cid}/statements", json={"text": "A citizen's own idea"}, headers=voters[1]
    )
    assert added.status_code == 201
    moderation = client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [ids[1]], "action": "reject"},
        headers=facilitator.headers,
    )
    assert moderation.status_code == 200
    first = export_to(app, cid, tmp_path / "first")
    again = export_to(app, imported_id(app, first), tmp_path / "second")
    assert vote_events(again) == vote_events(first)
    assert statements(again) == statements(first)
    assert {text for text, _ in statements(again).values()} >= set(risky)
    assert statements(again)[1][1] == "-1"
    for name in ("comments.csv", "votes.csv", "participant-votes.csv", "comment-groups.csv"):
        assert (again / name).read_text() == (first / name).read_text(), name


CC_BY = "CC BY 4.0, with attribution to The Computational Democracy Project."


@pytest.mark.usefixtures("facilitator")
def test_the_source_and_attribution_go_with_the_report_every_export_and_reimport(
    app, client, tmp_path
):
    result = import_folder(app, POLIS_DATA / "brexit-consensus", "--attribution", CC_BY)
    assert result.exit_code == 0, result.output
    assert "--attribution" not in result.output  # no reminder when it is given
    cid = result.output.strip().splitlines()[-1]
    source = f"Imported from https://pol.is/7wmvbjcjhp. {CC_BY}"
    with app.app_context():
        refresh(cid, VoteMemory())
    for page in (f"/c/{cid}", f"/c/{cid}/report"):
        assert f"Source: {source}" in client.get(page).text, page
    first = export_to(app, cid, tmp_path / "first")
    assert f'source,"{source}"' in (first / "summary.csv").read_text()
    reimport = import_folder(app, first)
    # The export carries its source on: no reminder, and the import says what it kept.
    assert f"Source, as the export gave it: {source}" in reimport.output
    assert "--attribution" not in reimport.output
    again = export_to(app, reimport.output.strip().splitlines()[-1], tmp_path / "second")
    assert f'source,"{source}"' in (again / "summary.csv").read_text()  # no repeat added


def test_an_import_without_attribution_is_reminded_of_it(app, facilitator):
    result = import_folder(app, POLIS_DATA / "london.youth.policing")
    assert "import it with --attribution TEXT" in result.output
    assert "Imported before" not in result.output
    first = result.output.strip().splitlines()[-1]
    again = import_folder(app, POLIS_DATA / "london.youth.policing", "--attribution", CC_BY)
    # A second import is a second copy: said, with the first one's id.
    assert f"Imported before from the same source as {first}: this is a new copy" in again.output
    with app.app_context():
        source = get_conversation(result.output.strip().splitlines()[-1]).source
    assert source == "Imported from https://pol.is/9xxwa9jpkm."


@pytest.mark.usefixtures("facilitator")
@pytest.mark.parametrize("name", ["london.youth.policing", "brexit-consensus"])
def test_imported_conversation_groups_as_the_clustering_command_does(app, name):
    folder = POLIS_DATA / name
    cid = imported_id(app, folder)
    with app.app_context():
        conversation = get_conversation(cid)
        conversation.analysis_profile = "polis"
        db.session.commit()
        stored = refresh(cid, VoteMemory())
        app_groups = {p["id"]: p["group"] for p in stored.data["participants"]}
        polis_ids = sorted(
            db.session.scalars(
                select(Participant.id).where(Participant.conversation_id == cid)
            ).all()
        )
    export = read_export(folder)
    direct = analyze(export.records(), profile="polis", random_state=0, **export.statements())
    direct_groups = {p["id"]: p["group"] for p in direct.participants}
    # The importer made participants in the order of their Polis ids.
    polis_of = dict(
        zip(polis_ids, sorted(set(export.voter.tolist()) | _authors(folder)), strict=True)
    )
    pairs = [
        (group, direct_groups[polis_of[pid]])
        for pid, group in app_groups.items()
        if group is not None or direct_groups[polis_of[pid]] is not None
    ]
    assert len(pairs) > 10
    left, right = (
        np.array([-1 if g is None else g for g in side]) for side in zip(*pairs, strict=True)
    )
    assert adjusted_rand_score(left, right) == 1.0


def _authors(folder: Path) -> set[int]:
    with open(folder / "comments.csv", encoding="utf-8", newline="") as handle:
        return {int(r["author-id"]) for r in csv.DictReader(handle) if r["author-id"]}


def test_copied_open_data_keeps_its_attribution():
    readme = (POLIS_DATA / "README.md").read_text()
    assert "CC BY 4.0" in readme
    for name in ("brexit-consensus", "football-concussions", "scoop-hivemind-ubi"):
        assert name in readme
    assert POLIS_DATA.resolve().is_relative_to(Path(__file__).resolve().parent)
