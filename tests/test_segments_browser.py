"""On a phone: a facilitator adds a segment and copies its link; a citizen opens it and votes;
the facilitator sees the segment's count hidden ("not shown": it is under 10). axe-core checks
each state."""

from __future__ import annotations

import pytest
from accessibility import assert_accessible
from browsing import PHONE, log_in
from conftest import create_conversation
from playwright.sync_api import expect
from sqlalchemy import select
from test_questions import SEEDS

from consult.extensions import db
from consult.models import Participant, Segment

pytestmark = pytest.mark.browser

NAME = "Citizens' assembly"


def test_on_a_phone_a_segment_link_is_copied_and_its_voter_counted_as_fewer_than_10(
    new_page, client, facilitator, app, live_server
):
    cid = create_conversation(client, facilitator, seed_statements=SEEDS)["id"]
    desk = new_page(**PHONE, permissions=["clipboard-read", "clipboard-write"])
    log_in(desk, facilitator.email, facilitator.password)
    desk.goto(f"/facilitate/c/{cid}")
    desk.get_by_role("link", name="Segments and their links").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Segments")
    desk.get_by_label("Name (for example: the assembly's members)").fill(NAME)
    desk.get_by_role("button", name="Add segment").click()
    expect(desk.get_by_role("heading", name=NAME)).to_be_visible()
    assert_accessible(desk, "a segment with its link")
    desk.get_by_role("button", name="Copy link").click()
    expect(desk.locator(".copy-status").first).to_have_text("Copied")
    link = desk.evaluate("navigator.clipboard.readText()")
    assert link.startswith(f"{live_server}/c/{cid}/s/")

    citizen = new_page(**PHONE)
    citizen.goto(link)
    expect(citizen).to_have_url(f"{live_server}/c/{cid}")
    left = citizen.locator("#progress").inner_text()
    citizen.get_by_role("button", name="Agree", exact=True).click()
    expect(citizen.locator("#progress")).not_to_have_text(left)
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]

    desk.reload()
    expect(desk.locator(".segment-count")).to_have_text("Participants: not shown")
    assert_accessible(desk, "the segment's count, hidden")
    with app.app_context():
        segment_id = db.session.scalar(select(Segment.id).filter_by(conversation_id=cid))
        assert list(db.session.scalars(select(Participant.segment_id))) == [segment_id]
