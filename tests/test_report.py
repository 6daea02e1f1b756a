"""The report page and its PDF, on analyses the real runner stored from planted votes."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import create_conversation, join, make_facilitator, require_service
from helpers import DISTINCT_STATEMENTS, SHARED, analyse, distinct_text, log_in, plant_votes
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from clustering.synthetic import planted
from consult.demo import DEMO_STATEMENTS
from consult.extensions import db
from consult.models import Analysis, Statement
from consult.services import participants, votes
from consult.services.analyses import latest_analysis
from consult.services.consultations import get_conversation
from consult.services.vote_memory import VoteMemory

API = "/api/v1/conversations"


def page_text(response) -> str:
    """The page's text with tags dropped and spaces folded (no-break spaces included)."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def pdf_tool(name: str) -> str:
    path = shutil.which(name)
    require_service(path is not None, f"{name} (Debian's poppler-utils) is not installed")
    return str(path)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    target = tmp_path / "report.pdf"
    target.write_bytes(pdf)
    out = subprocess.run(
        [pdf_tool("pdftotext"), str(target), "-"], capture_output=True, check=True, text=True
    ).stdout
    return re.sub(r"\s+", " ", out.replace("\u00a0", " "))


# -- the page ------------------------------------------------------------------------


def test_before_any_analysis_the_report_says_it_is_not_ready(client, conversation):
    response = client.get(f"/c/{conversation['id']}/report")
    assert response.status_code == 200
    assert "The report is not ready yet" in page_text(response)
    pdf = client.get(f"{API}/{conversation['id']}/report.pdf")
    assert pdf.status_code == 404
    assert "not ready" in pdf.json["error"]["message"]


def test_the_report_shows_the_overview_groups_and_consensus_in_words(app, client, analysed):
    response = client.get(f"/c/{analysed}/report")
    assert response.status_code == 200
    text = page_text(response)
    assert "Transport" in text
    assert "Participants 40" in text
    assert "2 opinion groups were found; the division between them is clear." in text
    assert re.search(r"\d+ of 40 participants \(\d+ %\) were placed in a group", text)
    consensus = text.split("Where most participants agree")[1].split("Where the groups divide")[0]
    for statement in SHARED:
        assert statement in consensus
    assert re.search(
        r"of the 40 participants who voted on it agreed \(\d+–\d+ %\): "
        r"a clear majority, including a majority of every group",
        text,
    )
    assert "The groups voted differently on it." in text
    assert 'role="img"' in response.get_data(as_text=True)  # the map, with its title and desc
    assert "<title>Opinion map</title>" in response.get_data(as_text=True)
    assert f"consult export {analysed} consult-{analysed} --until " in text
    assert f"python -m clustering analyze consult-{analysed} --profile consult --seed 0" in text


def test_the_replay_commands_give_the_file_hashed_and_the_same_groups(
    app, client, analysed, tmp_path
):
    # The annex's own commands, run: the exported votes.csv has the hash the report gives,
    # and the clustering command on the exported folder finds the groups the report cites.
    text = page_text(client.get(f"/c/{analysed}/report"))
    export, replay = re.findall(
        r"(consult export \S+ \S+ --until \S+|python -m clustering [^\n]+?--seed \d+)", text
    )
    folder = tmp_path / f"consult-{analysed}"
    result = app.test_cli_runner().invoke(
        args=[*export.split()[1:3], str(folder), *export.split()[4:]]
    )
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256((folder / "votes.csv").read_bytes()).hexdigest()
    assert f"SHA-256 of votes.csv (exported up to the cut-off) {sha}" in text
    replayed = json.loads(
        subprocess.run(
            [sys.executable, *replay.split()[1:4], str(folder), *replay.split()[5:], "--json"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    )
    exported = json.loads((folder / "analysis.json").read_text())["analysis"]  # export ids

    def partition(analysis):
        return {p["id"]: -1 if p["group"] is None else p["group"] for p in analysis["participants"]}

    assert (
        adjusted_rand_score(
            *zip(
                *((g, partition(replayed)[p]) for p, g in partition(exported).items()), strict=True
            )
        )
        == 1.0
    )
    assert exported["division"]["n_groups"] == replayed["division"]["n_groups"] == 2


def test_every_statement_has_bars_and_numbers_for_everyone_and_each_group(client, analysed):
    html = client.get(f"/c/{analysed}/report").get_data(as_text=True)
    table = html.split('id="statements-heading"')[1].split('id="history-heading"')[0]
    assert table.count('class="share-bar"') == len(DISTINCT_STATEMENTS) * 3  # everyone, A, B
    assert table.count('scope="rowgroup"') == len(DISTINCT_STATEMENTS)
    assert "<script" not in html.split("<main")[1]  # no JavaScript needed


def test_a_percentage_is_never_parted_from_its_number(client, analysed):
    """A "95 %" at a line's end wrapped its "%" onto the next, in the PDF most of all."""
    for language in ("en", "fr"):
        client.get(f"/language/{language}")
        html = client.get(f"/c/{analysed}/report").get_data(as_text=True)
        assert "95\u00a0%" in html
        assert not re.search(r"\d %", html.split("<main")[1]), language


def test_a_statement_nobody_voted_on_says_so_rather_than_zero_percent(
    app, client, facilitator, analysed
):
    log_in(client, facilitator)
    client.post(f"/facilitate/c/{analysed}/seed", data={"seed_statements": "Ferries at night"})
    analyse(app, analysed, force_cold=True)
    html = client.get(f"/c/{analysed}/report").get_data(as_text=True)
    table = html.split('id="statements-heading"')[1].split('id="history-heading"')[0]
    ferries = table.split("Ferries at night")[1].split("</tbody>")[0]
    assert ferries.count("No votes") == 3  # everyone, A, B: not "agree 0 % · disagree 0 %"
    assert 'class="share-bar"' not in ferries


def test_the_report_cites_the_latest_cold_analysis_and_keeps_it_whole(app, client, analysed):
    memory = VoteMemory()
    analyse(app, analysed, memory, force_cold=True)  # version 2, cold
    for round_ in range(3):
        plant_votes(app, analysed, voters=1, first=100 + round_, seed=round_)
        analyse(app, analysed, memory)  # warm updates
    with app.app_context():
        rows = db.session.execute(
            select(Analysis.version, Analysis.kind, Analysis.data.is_not(None)).order_by(
                Analysis.version
            )
        ).all()
    kinds = {version: kind for version, kind, _ in rows}
    kept = {version for version, _, has_data in rows if has_data}
    assert kinds[2] == "cold"
    assert all(kinds[v] == "warm" for v in (3, 4, 5))
    assert 2 in kept  # the latest cold one survives thinning
    text = page_text(client.get(f"/c/{analysed}/report"))
    assert "This report cites analysis version 2 of the votes up to" in text
    assert "a cold analysis" in text


def test_a_newer_cold_analysis_lets_the_older_one_be_thinned(app, client, analysed):
    memory = VoteMemory()
    plant_votes(app, analysed, voters=1, first=100)
    analyse(app, analysed, memory)  # 2 warm
    plant_votes(app, analysed, voters=1, first=101)
    analyse(app, analysed, memory, force_cold=True)  # 3 cold
    with app.app_context():
        kept = set(db.session.scalars(select(Analysis.version).where(Analysis.data.is_not(None))))
    # 1 is the oldest kept (the retention rule's anchor), 2 is thinned, 3 is the latest.
    assert kept == {1, 3}


def test_the_history_shows_maps_where_kept_and_sizes_from_every_summary(app, client, analysed):
    memory = VoteMemory()
    for round_ in range(4):
        plant_votes(app, analysed, voters=1, first=100 + round_, seed=round_)
        analyse(app, analysed, memory, force_cold=True)
    with app.app_context():
        kept = set(db.session.scalars(select(Analysis.version).where(Analysis.view.is_not(None))))
    assert kept != {1, 2, 3, 4, 5}  # retention thinned some: they can only show sizes
    html = client.get(f"/c/{analysed}/report").get_data(as_text=True)
    history = html.split('id="history-heading"')[1].split('id="methodology-heading"')[0]
    for version in range(1, 6):
        assert f"<h3>Version {version}</h3>" in history
    assert history.count("<title>Opinion map, version") == len(kept)
    assert history.count("<title>Group sizes, version") == 5 - len(kept)
    assert "Group A" in history
    assert "Group B" in history


def test_no_real_division_is_said_in_words(app, client, facilitator):
    cid = create_conversation(client, facilitator, seed_statements=DISTINCT_STATEMENTS)["id"]
    rng = random.Random(3)
    ids = [s["id"] for s in client.get(f"{API}/{cid}/statements").json["statements"]]
    for _ in range(30):  # everyone votes alike, with noise: one group
        headers = join(client, cid)
        for sid in ids:
            value = 1 if rng.random() < 0.8 else -1
            client.post(
                f"{API}/{cid}/votes", json={"statement_id": sid, "vote": value}, headers=headers
            )
    analyse(app, cid)
    text = page_text(client.get(f"/c/{cid}/report"))
    assert "The analysis found no real division" in text
    assert "opinion groups were found" not in text


def test_groups_found_among_too_few_people_are_not_reported(app, client, facilitator):
    # The polis profile groups any 14 people (Polis's in-conversation rule takes them all).
    cid = create_conversation(
        client, facilitator, seed_statements=DISTINCT_STATEMENTS, analysis_profile="polis"
    )["id"]
    plant_votes(app, cid, voters=14)  # two clear camps, but only 14 people
    division = stored_division(app, analyse(app, cid))
    assert division["n_groups"] >= 2  # the analysis did find groups
    report = client.get(f"/c/{cid}/report")
    text = page_text(report)
    assert (
        "Groups appear once 15 people have voted on at least 7 statements each (14 so far)" in text
    )
    informed = text.split("Group-informed consensus")[1].split("Bridging")[0]
    assert "Too few votes to rank." in informed
    for said in ("were found", "division is", "Group A", "Group B", "The groups voted differently"):
        assert said not in text
    assert re.search(r"In a group\s*</dt>\s*<dd>0<", report.get_data(as_text=True))
    pdf = client.get(f"{API}/{cid}/report.pdf", headers=facilitator.headers)
    assert pdf.status_code == 200


def stored_division(app, analysis: Analysis) -> dict:
    with app.app_context():
        return db.session.get(Analysis, analysis.id).data["division"]


def plant_spectrum(app, cid: str, voters: int, seed: int) -> None:
    """Opinions along one axis, no camps (`clustering.synthetic.planted("spectrum")`), cast
    through the votes service on the conversation's statements in id order."""
    with app.app_context():
        conversation = get_conversation(cid)
        listed = db.session.scalars(
            select(Statement).filter_by(conversation_id=cid).order_by(Statement.id)
        ).all()
        drawn = planted("spectrum", voters, len(listed), vote_share=1.0, random_state=seed).matrix
        table = drawn.votes.toarray()
        for row in table:
            participant, _, _ = participants.join(conversation)
            for statement, value in zip(listed, row.tolist(), strict=True):
                votes.cast_vote(conversation, participant, statement.id, int(value))


def test_a_spectrum_is_reported_with_the_statements_at_its_two_ends(app, client, facilitator):
    texts = [distinct_text(n) for n in range(16)]
    cid = create_conversation(client, facilitator, seed_statements=texts)["id"]
    plant_spectrum(app, cid, voters=120, seed=0)
    division = stored_division(app, analyse(app, cid))
    assert division["strength"] == "spectrum"
    ends = division["axis_ends"]
    text_of = {s["id"]: s["text"] for s in client.get(f"{API}/{cid}/statements").json["statements"]}
    html = client.get(f"/c/{cid}/report").get_data(as_text=True)
    assert "a spectrum of opinion, not camps" in html
    for end in ("low", "high"):
        listed = re.search(rf'id="axis-{end}">(.*?)</ul>', html, re.S)
        assert listed, f"no statements at the {end} end"
        shown = re.findall(r'<span class="statement">([^<]+)</span>', listed.group(1))
        assert shown
        assert shown == [text_of[sid] for sid in ends[end]]
    assert 'class="group-card' not in html  # one group is everyone: no card repeats the counts
    assert "The groups are listed below the map" not in html
    text = page_text(client.get(f"/c/{cid}/report"))
    assert "No statement divides the groups clearly: there are no groups to compare." in text
    # Nor is there any "every group" to agree: not "no statement had most of every group".
    assert "There are no groups to compare: fewer than two were found." in text
    assert "No statement had most of every group agreeing." not in text
    assert "120 participants · 1,920 votes" in text  # the history's numbers, formatted


def test_a_statement_both_agreed_and_dividing_is_explained_once(app, client):
    from consult.demo import ensure_demo

    with app.app_context():
        ensure_demo()
    analyse(app, "demo")
    text = page_text(client.get("/c/demo/report"))
    consensus = text.split("Where most participants agree")[1].split("Where the groups divide")[0]
    divisive = text.split("Where the groups divide")[1].split("Where many are unsure")[0]
    both = [s for s in DEMO_STATEMENTS if s in consensus and s in divisive]
    assert both  # the demo has one: most agree overall, the groups differ
    assert divisive.count("A statement can be here and among the majorities above") == 1


# -- the filter ----------------------------------------------------------------------


def test_rejected_statements_are_shown_only_to_facilitators_who_ask(
    app, client, facilitator, analysed
):
    ids = {
        s["text"]: s["id"] for s in client.get(f"{API}/{analysed}/statements").json["statements"]
    }
    rejected = DISTINCT_STATEMENTS[1]
    answer = client.post(
        f"{API}/{analysed}/moderation",
        json={"statement_ids": [ids[rejected]], "action": "reject"},
        headers=facilitator.headers,
    )
    assert answer.status_code == 200
    report = page_text(client.get(f"/c/{analysed}/report"))
    assert rejected not in report
    # The votes on it are in the total, and the total of the statements shown says so.
    with app.app_context():
        stored = latest_analysis(get_conversation(analysed)).data["statements"]
    [row] = [r for r in stored if r["id"] == ids[rejected]]
    total = int(re.search(r"Votes ([\d,]+)", report)[1].replace(",", ""))
    shown_votes = int(re.search(r"Votes on these statements ([\d,]+)", report)[1].replace(",", ""))
    assert total - shown_votes == row["n_seen"] > 0
    assert rejected not in page_text(client.get(f"/c/{analysed}/report?statements=accepted"))
    refused = client.get(f"/c/{analysed}/report?statements=all")
    assert refused.status_code == 403
    assert client.get(f"{API}/{analysed}/report.pdf?statements=all").status_code == 403
    shown = client.get(f"/c/{analysed}/report?statements=all", headers=facilitator.headers)
    assert shown.status_code == 200
    assert rejected in page_text(shown)
    assert "(rejected)" in page_text(shown)


def test_accepted_only_leaves_out_statements_nobody_accepted(app, client, analysed):
    headers = join(client, analysed)
    added = "Trams should run all night at weekends."
    answer = client.post(f"{API}/{analysed}/statements", json={"text": added}, headers=headers)
    assert answer.status_code == 201  # shown at once: this consultation is not strict
    plant_votes(app, analysed, voters=12, first=200)
    analyse(app, analysed, force_cold=True)
    everything = client.get(f"/c/{analysed}/report").get_data(as_text=True)
    accepted = client.get(f"/c/{analysed}/report?statements=accepted").get_data(as_text=True)
    assert added in everything
    assert "(unmoderated)" in everything
    assert added not in accepted
    table = accepted.split('id="statements-heading"')[1]
    assert table.count('scope="rowgroup"') == len(DISTINCT_STATEMENTS)


@pytest.mark.parametrize("junk", ["rejected", "ALL", "1", "x" * 500])
def test_a_junk_filter_is_a_400(client, conversation, junk):
    cid = conversation["id"]
    response = client.get(f"/c/{cid}/report", query_string={"statements": junk})
    assert response.status_code == 400
    assert "statements must be one of" in page_text(response)
    pdf = client.get(f"{API}/{cid}/report.pdf", query_string={"statements": junk})
    assert pdf.status_code == 400
    assert pdf.json["error"]["field"] == "statements"


@pytest.mark.parametrize("junk", ["nope", "a" * 300, "..", "demo%2F..%2F"])  # NUL: test_never_500
def test_junk_ids_are_404_not_5xx(client, junk):
    assert client.get(f"/c/{junk}/report").status_code == 404
    assert client.get(f"/c/{junk}/report.pdf").status_code == 404
    assert client.get(f"{API}/{junk}/report.pdf").status_code == 404


# -- who sees it ---------------------------------------------------------------------


@pytest.fixture
def private(app, client, facilitator) -> str:
    cid = create_conversation(
        client, facilitator, seed_statements=DISTINCT_STATEMENTS, results_public=False
    )["id"]
    plant_votes(app, cid, voters=30)
    analyse(app, cid)
    return cid


def test_a_private_report_is_a_404_for_visitors_and_other_facilitators(app, client, private):
    other = make_facilitator(app, "other@example.org")
    for headers in ({}, other.headers, {"Authorization": "Bearer junk"}):
        assert client.get(f"/c/{private}/report", headers=headers).status_code == 404
        assert client.get(f"/c/{private}/report.pdf", headers=headers).status_code == 404
        assert client.get(f"{API}/{private}/report.pdf", headers=headers).status_code == 404


def test_a_private_report_is_its_facilitators_by_session_or_token(client, facilitator, private):
    assert client.get(f"/c/{private}/report", headers=facilitator.headers).status_code == 200
    assert client.get(f"{API}/{private}/report.pdf", headers=facilitator.headers).status_code == 200
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    page = client.get(f"/c/{private}/report")
    assert page.status_code == 200
    assert "Download the report as PDF" in page_text(page)
    pdf = client.get(f"/c/{private}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"


def test_the_api_never_takes_the_session_cookie_for_a_private_report(client, facilitator, private):
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    assert client.get(f"{API}/{private}/report.pdf").status_code == 404


def test_the_facilitators_pages_and_the_results_page_link_to_the_report(
    client, facilitator, analysed
):
    client.post(
        "/facilitate/login", data={"email": facilitator.email, "password": facilitator.password}
    )
    for path in (
        f"/facilitate/c/{analysed}",
        f"/facilitate/c/{analysed}/live",
        f"/c/{analysed}/results",
    ):
        assert f'href="/c/{analysed}/report"' in client.get(path).get_data(as_text=True), path
