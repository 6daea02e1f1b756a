"""A citizen's own statement: writing it counts as agreeing with it (never asked again),
and its length is counted as people count characters, with nothing cut."""

from __future__ import annotations

from conftest import create_conversation, join
from helpers import shown_statement_id
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Statement, StatementTally, Vote, VoteEvent

API = "/api/v1/conversations"


def _votes_on(app, statement_id: int) -> tuple[list[int], list[int], tuple[int, int, int]]:
    """The current votes, the logged votes and the (agree, disagree, pass) tally of a statement."""
    with app.app_context():
        current = list(db.session.scalars(select(Vote.value).filter_by(statement_id=statement_id)))
        logged = list(
            db.session.scalars(select(VoteEvent.value).filter_by(statement_id=statement_id))
        )
        tally = db.session.get(StatementTally, statement_id)
        return current, logged, (tally.n_agree, tally.n_disagree, tally.n_pass)


def test_a_statement_added_by_form_counts_as_its_authors_agreement(app, client, conversation):
    cid = conversation["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Trams, not buses."})
    mine = client.get(f"{API}/{cid}/statements").json["statements"][-1]
    assert mine["text"] == "Trams, not buses."
    assert _votes_on(app, mine["id"]) == ([1], [1], (1, 0, 0))
    assert client.get(f"{API}/{cid}").json["counts"]["votes"] == 1


def test_the_author_is_never_asked_to_vote_on_their_own_statement(client, conversation):
    cid = conversation["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Trams, not buses."})
    mine = client.get(f"{API}/{cid}/statements").json["statements"][-1]["id"]
    page = client.get(f"/c/{cid}").data
    assert b"3 statements left" in page  # the three seeds, not mine
    shown = []
    for _ in range(3):
        shown.append(shown_statement_id(page))
        client.post(f"/c/{cid}/vote", data={"statement_id": shown[-1], "vote": "0"})
        page = client.get(f"/c/{cid}").data
    assert mine not in shown
    assert b"You have seen every statement for now." in page


def test_under_strict_moderation_the_agreement_waits_with_the_statement(app, client, facilitator):
    cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Ferries too."})
    with app.app_context():
        mine = db.session.scalar(select(Statement.id).filter_by(text="Ferries too."))
    assert _votes_on(app, mine) == ([1], [1], (1, 0, 0))
    moderated = client.post(
        f"{API}/{cid}/moderation",
        json={"statement_ids": [mine], "action": "accept"},
        headers=facilitator.headers,
    )
    assert moderated.status_code == 200
    assert b"3 statements left" in client.get(f"/c/{cid}").data  # still not asked about it


def test_a_statement_sent_through_the_api_counts_as_agreeing_and_answers_as_before(
    app, client, conversation
):
    cid = conversation["id"]
    me = join(client, cid)
    listed = client.get(f"{API}/{cid}/statements").json["statements"][0]
    response = client.post(f"{API}/{cid}/statements", json={"text": "Night buses."}, headers=me)
    assert response.status_code == 201
    assert set(response.json) == set(listed)  # the answer's shape is unchanged
    assert _votes_on(app, response.json["id"]) == ([1], [1], (1, 0, 0))
    mine = client.get(f"{API}/{cid}/me", headers=me).json["votes"]
    assert [(v["statement_id"], v["vote"]) for v in mine] == [(response.json["id"], "agree")]


def test_a_refused_statement_records_no_vote(app, client, conversation):
    cid = conversation["id"]
    client.post(f"/c/{cid}/statements", data={"text": "Parking in the centre is too cheap."})
    client.post(f"/c/{cid}/statements", data={"text": "  "})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
        assert db.session.scalar(select(func.count()).select_from(VoteEvent)) == 0


# -- the length of a statement ------------------------------------------------------------


def test_the_form_shows_the_limit_and_cuts_nothing(client, conversation):
    page = client.get(f"/c/{conversation['id']}").data.decode()
    assert "at most 280 characters" in page
    assert "0 of 280 characters" in page
    assert "maxlength" not in page  # a browser cuts pasted text to it without a word


def test_an_over_long_statement_is_refused_clearly_and_kept_whole(client, conversation):
    cid = conversation["id"]
    text = "Trams " * 50  # 300 characters
    response = client.post(f"/c/{cid}/statements", data={"text": text}, follow_redirects=True)
    page = response.data.decode()
    assert "Your statement is 300 characters long; the limit is 280. Please shorten it" in page
    assert f">{text}</textarea>" in page
    assert "300 of 280 characters" in page
    assert 'aria-invalid="true"' in page
    assert client.get(f"{API}/{cid}").json["counts"]["statements"] == 3


def test_a_script_gets_the_same_words_with_the_precise_code(client, conversation):
    response = client.post(
        f"/c/{conversation['id']}/statements",
        data={"text": "x" * 281},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"
    assert response.json["error"]["message"].startswith("Your statement is 281 characters long")


def test_a_line_break_counts_as_one_character(client, facilitator):
    cid = create_conversation(client, facilitator, statement_max_length=18, seed_statements=[])[
        "id"
    ]
    text = "Trams\r\nat night too"  # 18 characters typed; a form sends 19
    response = client.post(f"/c/{cid}/statements", data={"text": text}, follow_redirects=True)
    assert b"Added. Writing it counts as agreeing with it." in response.data
    assert client.get(f"{API}/{cid}/statements").json["statements"][-1]["text"] == (
        "Trams\nat night too"
    )
