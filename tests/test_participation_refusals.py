"""What a citizen sees when the page cannot take their part: past the statement limit
without JavaScript (the text is kept), and on a consultation by invitation without a link."""

from __future__ import annotations

from conftest import create_conversation, make_app, make_facilitator
from helpers import personal_link

MINE = "Trams should run through the night."


def test_a_statement_past_the_limit_without_javascript_keeps_the_text(app, database_url):
    limited = make_app(database_url, csrf=False, CONSULT_RATELIMIT_STATEMENTS_PER_IP="1 per minute")
    client = limited.test_client()
    cid = create_conversation(client, make_facilitator(limited))["id"]
    first = client.post(f"/c/{cid}/statements", data={"text": "Night buses, every hour."})
    assert first.status_code == 302

    refused = client.post(f"/c/{cid}/statements", data={"text": MINE})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    page = refused.get_data(as_text=True)
    assert f">{MINE}</textarea>" in page  # the form comes back with what was typed
    assert "Too many requests in a short time. Please try again in" in page
    assert 'id="statement-status"' in page  # beside the form, where the person looks


def test_a_statement_past_the_limit_from_the_script_is_a_json_429(app, database_url):
    limited = make_app(database_url, csrf=False, CONSULT_RATELIMIT_STATEMENTS_PER_IP="1 per minute")
    client = limited.test_client()
    cid = create_conversation(client, make_facilitator(limited))["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Night buses, every hour."})
    refused = client.post(
        f"/c/{cid}/statements", data={"text": MINE}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_requests"  # the script keeps the text


def test_by_invitation_a_visitor_without_a_link_is_told_how_to_get_one(client, facilitator):
    cid = create_conversation(client, facilitator, require_xid=True)["id"]
    page = client.get(f"/c/{cid}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "demandez-en un aux organisateurs de cette consultation" in page
    assert 'id="vote-form"' not in page
    assert "D’accord" not in page  # no vote buttons at all


def test_a_refused_first_vote_or_statement_leaves_no_participant(client, facilitator):
    cid = create_conversation(client, facilitator)["id"]
    seed = client.get(f"/api/v1/conversations/{cid}/statements").json["statements"][0]

    def participants() -> int:
        return client.get(f"/api/v1/conversations/{cid}").json["counts"]["participants"]

    refusals = [
        (f"/c/{cid}/statements", {"text": "   "}),  # empty
        (f"/c/{cid}/statements", {"text": seed["text"]}),  # a duplicate
        (f"/c/{cid}/vote", {"statement_id": "987654", "vote": "1"}),  # no such statement
    ]
    for path, data in refusals:
        answer = client.post(path, data=data)
        assert answer.status_code in (302, 400, 404, 409), (path, answer.status_code)
        assert participants() == 0, data
    client.post(f"/c/{cid}/vote", data={"statement_id": str(seed["id"]), "vote": "1"})
    assert participants() == 1
    client.post(f"/c/{cid}/statements", data={"text": "   "})  # refused, but they took part
    assert participants() == 1
    assert client.get(f"/api/v1/conversations/{cid}").json["counts"]["votes"] == 1


def test_a_personal_links_participant_is_kept_after_a_refusal(app, client, facilitator):
    """Another tab of the same link finds the same participant: deleting it could take a
    vote that tab was just told was recorded."""
    cid = create_conversation(client, facilitator)["id"]
    client.get(personal_link(app, cid, "resident-17"))
    assert client.post(f"/c/{cid}/statements", data={"text": "   "}).status_code in (302, 400)
    assert client.get(f"/api/v1/conversations/{cid}").json["counts"]["participants"] == 1
