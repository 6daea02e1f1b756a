"""The report's PDF: its text, its page breaks, the outcome in it, vector only."""

from __future__ import annotations

import re
import subprocess

from helpers import SHARED
from test_report import API, page_text, pdf_text, pdf_tool


def test_the_pdf_holds_the_consensus_the_sentences_and_the_hash_as_text(
    app, client, analysed, tmp_path
):
    response = client.get(f"{API}/{analysed}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="consult-{analysed}-report.pdf"'
    )
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data, tmp_path)
    for statement in SHARED:
        assert statement in text
    assert "2 opinion groups were found; the division between them is clear." in text
    assert "a clear majority, including a majority of every group" in text
    page = page_text(client.get(f"/c/{analysed}/report"))
    sha = re.search(r"SHA-256 of votes.csv \(exported up to the cut-off\) ([0-9a-f]{64})", page)
    assert sha is not None
    assert f"SHA-256 of votes.csv (exported up to the cut-off) {sha[1]}" in text
    assert f"python -m clustering analyze consult-{analysed} --profile consult --seed 0" in text
    assert re.search(r"Page 1 of \d+", text)


def test_in_the_pdf_every_statement_starts_a_page_with_each_heading_beside_its_bars(
    client, analysed, tmp_path
):
    """Below the table's header the renderer kept one row of the first statement and
    carried its bars over to the next page."""
    target = tmp_path / "report.pdf"
    target.write_bytes(client.get(f"{API}/{analysed}/report.pdf").data)
    out = subprocess.run(
        [pdf_tool("pdftotext"), "-layout", str(target), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    pages = [page.strip() for page in out.split("\f")]
    [start] = [
        n for n, page in enumerate(pages) if "Every statement" in map(str.strip, page.splitlines())
    ]
    assert pages[start].splitlines()[0].strip() == "Every statement"
    for page in pages[start:]:
        last_lines = [line for line in page.splitlines() if line.strip()][-3:]
        # A statement's heading never ends a page: its "Everyone" row follows it there.
        assert not any(statement in "".join(last_lines) for statement in SHARED), last_lines


def test_a_published_outcome_is_in_the_report_and_its_pdf(client, facilitator, analysed, tmp_path):
    body = {"text": "The council adopted the shared proposals.", "published": False}
    url = f"{API}/{analysed}/outcome"
    assert client.put(url, json=body, headers=facilitator.headers).status_code == 200
    assert "How the input was used" not in page_text(client.get(f"/c/{analysed}/report"))
    listed = client.get(f"{API}/{analysed}/statements").json["statements"]
    shared = next(s for s in listed if s["text"] == SHARED[0])
    answer = {"statement_id": shared["id"], "status": "adopted", "text": "In article 4."}
    assert (
        client.post(f"{url}/responses", json=answer, headers=facilitator.headers).status_code == 201
    )
    assert (
        client.put(url, json={**body, "published": True}, headers=facilitator.headers).status_code
        == 200
    )
    page = page_text(client.get(f"/c/{analysed}/report"))
    pdf = pdf_text(client.get(f"{API}/{analysed}/report.pdf").data, tmp_path)
    for text in (page, pdf):
        section = text.split("How the input was used")[1]
        assert "The council adopted the shared proposals." in section
        assert "In article 4." in section


def test_the_pdf_is_vector_with_no_raster_image(client, analysed, tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(client.get(f"/c/{analysed}/report.pdf").data)
    listing = subprocess.run(
        [pdf_tool("pdfimages"), "-list", str(target)], capture_output=True, check=True, text=True
    ).stdout.splitlines()
    assert len(listing) == 2, listing  # the header and its underline: no image at all
    assert listing[0].split()[:3] == ["page", "num", "type"]
