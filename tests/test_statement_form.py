"""Adding a statement by form: confirmed, a duplicate quoted, a similar one offered back
with a vote and "Add mine anyway", the person's own text kept whatever they vote on the
offer, and an opposite added at once."""

from __future__ import annotations

import re

from conftest import create_conversation
from helpers import moderate, quoted

API = "/api/v1/conversations"


def test_statement_added_by_form_is_confirmed(client, conversation):
    cid = conversation["id"]
    response = client.post(
        f"/c/{cid}/statements", data={"text": "Trams, not buses."}, follow_redirects=True
    )
    assert b"Added. Writing it counts as agreeing with it." in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


def test_duplicate_by_form_shows_the_existing_statement_and_keeps_the_draft(client, conversation):
    cid = conversation["id"]
    response = client.post(
        f"/c/{cid}/statements",
        data={"text": "parking in the centre is TOO cheap"},
        follow_redirects=True,
    )
    assert (
        f"already here: {quoted('Parking in the centre is too cheap.')}".encode() in response.data
    )
    assert b">parking in the centre is TOO cheap</textarea>" in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3


def test_similar_by_form_is_offered_with_a_vote_and_add_mine_anyway(client, conversation):
    cid = conversation["id"]
    near = "Parking in the centre is to cheap!"
    response = client.post(f"/c/{cid}/statements", data={"text": near}, follow_redirects=True)
    page = response.data.decode()
    assert "A similar statement exists: vote on it, or add yours anyway." in page
    assert "<legend>Parking in the centre is too cheap.</legend>" in page
    assert 'name="return_to" value="similar"' in page
    assert f">{near}</textarea>" in page
    assert 'id="add-anyway" >Add mine anyway' in page  # shown: no `hidden`
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3

    again = client.post(
        f"/c/{cid}/statements", data={"text": near, "add_anyway": "1"}, follow_redirects=True
    )
    assert b"Added. Writing it counts as agreeing with it." in again.data
    assert b"<legend>Parking in the centre is too cheap.</legend>" not in again.data  # panel gone
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


def test_after_a_vote_on_the_offer_by_form_the_own_text_and_add_anyway_stay(client, conversation):
    cid = conversation["id"]
    dissent = "Parking in the centre is to cheap!"
    offered = client.post(f"/c/{cid}/statements", data={"text": dissent}, follow_redirects=True)
    form = re.search(r'<form method="post" class="similar-vote".*?</form>', offered.text, re.S)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    assert fields["draft"] == dissent
    page = client.post(f"/c/{cid}/vote", data={**fields, "vote": "-1"}, follow_redirects=True)
    assert b"Your vote is counted." in page.data
    assert f">{dissent}</textarea>".encode() in page.data
    assert b'id="add-anyway" >Add mine anyway' in page.data  # shown: no `hidden`
    added = client.post(
        f"/c/{cid}/statements", data={"text": dissent, "add_anyway": "1"}, follow_redirects=True
    )
    assert b"Added. Writing it counts as agreeing with it." in added.data
    counts = client.get(f"{API}/{cid}").json["counts"]
    assert (counts["statements"], counts["votes"]) == (4, 2)  # the disagree vote, and writing


def test_an_offer_withdrawn_before_the_vote_leaves_the_own_text_and_add_anyway(
    client, conversation, facilitator
):
    cid = conversation["id"]
    dissent = "Parking in the centre is to cheap!"
    offered = client.post(f"/c/{cid}/statements", data={"text": dissent}, follow_redirects=True)
    form = re.search(r'<form method="post" class="similar-vote".*?</form>', offered.text, re.S)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    moderate(client, facilitator, cid, [int(fields["statement_id"])], "reject")
    page = client.post(f"/c/{cid}/vote", data={**fields, "vote": "-1"}, follow_redirects=True)
    assert b"withdrawn" in page.data
    assert f">{dissent}</textarea>".encode() in page.data
    assert b'id="add-anyway" >Add mine anyway' in page.data
    assert b"<legend>Parking in the centre is too cheap.</legend>" not in page.data  # rejected


def test_offers_that_come_back_are_visible_statements_of_this_consultation(
    client, conversation, facilitator
):
    cid = conversation["id"]
    other = create_conversation(client, facilitator, seed_statements=["Elsewhere entirely."])
    foreign = client.get(f"{API}/{other['id']}/statements").json["statements"][0]["id"]
    own = client.get(f"{API}/{cid}/statements").json["statements"][0]
    data = {"statement_id": own["id"], "vote": "1", "return_to": "similar", "draft": "Mine."}
    offered = [str(own["id"]), str(foreign), "junk", "9" * 40, "-3"]
    page = client.post(f"/c/{cid}/vote", data={**data, "offered": offered}, follow_redirects=True)
    assert page.status_code == 200
    assert f"<legend>{own['text']}</legend>".encode() in page.data
    assert b"Elsewhere entirely." not in page.data


def test_vote_on_the_offered_statement_by_form(client, conversation):
    cid = conversation["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Parking in the centre is to cheap!"})
    statement_id = client.get(f"{API}/{cid}/statements").json["statements"][2]["id"]
    response = client.post(
        f"/c/{cid}/vote",
        data={"statement_id": statement_id, "vote": "1", "return_to": "similar"},
        follow_redirects=True,
    )
    assert b"Your vote is counted." in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 1


def test_opposite_statement_by_form_is_added_at_once(client, conversation):
    cid = conversation["id"]
    opposite = {"text": "Parking in the centre is not too cheap."}
    response = client.post(f"/c/{cid}/statements", data=opposite, follow_redirects=True)
    assert b"Added. Writing it counts as agreeing with it." in response.data
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 4


def _session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "consult_session=" in c]
    return cookie.split(";")[0]


def test_a_long_refused_text_in_any_script_keeps_the_session_within_a_browser_cookie(
    client, conversation
):
    """A browser drops a cookie over 4,096 bytes, and the session with it (who the browser
    votes as). 2,000 characters of Chinese came to 6 KB in the cookie."""
    cid = conversation["id"]
    buses = "Buses should run every ten minutes."
    listed = client.get(f"{API}/{cid}/statements").json["statements"]
    [statement_id] = [s["id"] for s in listed if s["text"] == buses]
    client.post(f"/c/{cid}/vote", data={"statement_id": str(statement_id), "vote": "1"})
    # Too long for the consultation (280): refused, and the draft comes back.
    text = "".join(chr(0x4E00 + (i * 7919) % 3000) for i in range(2000))
    refused = client.post(f"/c/{cid}/statements", data={"text": text})
    assert refused.status_code == 302
    assert len(_session_cookie(refused)) <= 4096
    page = client.get(f"/c/{cid}").text
    assert "only its beginning is in the box" in page
    kept = re.search(r'<textarea[^>]*name="text"[^>]*>([^<]*)</textarea>', page).group(1)
    assert 500 <= len(kept) < len(text)
    assert text.startswith(kept)
    # Still the same participant: the vote before is still theirs.
    assert buses in client.get(f"/c/{cid}/votes").text


def test_a_long_duplicate_is_quoted_in_brief_and_the_session_stays_within_a_cookie(
    client, facilitator
):
    """The refusal quotes the statement repeated, and travels in the cookie too."""
    cid = create_conversation(client, facilitator, statement_max_length=2000)["id"]
    text = "".join(chr(0x4E00 + (i * 7919) % 3000) for i in range(1990))
    first = client.post(f"/c/{cid}/statements", data={"text": text})
    assert first.status_code == 302
    again = client.post(f"/c/{cid}/statements", data={"text": text})
    assert len(_session_cookie(again)) <= 4096
    page = client.get(f"/c/{cid}").text
    assert f"This statement is already here: “\u2068{text[:199]}…\u2069”" in page
    assert f"<legend>{text}</legend>" not in page
    assert client.get(f"/c/{cid}/votes").text.count(text[:50]) == 1  # still its author


def test_a_text_past_any_statement_s_length_comes_back_cut_and_says_so(client, conversation):
    cid = conversation["id"]
    text = "Parking fees " * 400  # 5,200 characters; no statement takes more than 2,000
    client.post(f"/c/{cid}/statements", data={"text": text})
    page = client.get(f"/c/{cid}").text
    assert "only its beginning is in the box" in page
    kept = re.search(r'<textarea[^>]*name="text"[^>]*>([^<]*)</textarea>', page).group(1)
    assert text.startswith(kept)
    assert len(kept) == 2000


def test_a_short_refused_text_comes_back_whole_and_offers_travel_as_ids(client, conversation):
    cid = conversation["id"]
    near = "Parking in the centre is to cheap!"
    offered = client.post(f"/c/{cid}/statements", data={"text": near})
    # The offer's text is read again for the page, not carried in the cookie.
    with client.session_transaction() as session:
        assert session["draft"] == near
        assert all(isinstance(i, int) for i in session["similar"])
    page = client.get(f"/c/{cid}").text
    assert "<legend>Parking in the centre is too cheap.</legend>" in page
    assert "only its beginning" not in page
    assert len(_session_cookie(offered)) < 1000
