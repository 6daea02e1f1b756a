"""A vote sent again (its answer lost, the client retried) is stored and logged once."""

from __future__ import annotations

import pytest
from conftest import join
from helpers import shown_statement_id
from sqlalchemy import create_engine, event, select, text

from consult.extensions import db
from consult.models import Vote, VoteEvent

API = "/api/v1/conversations"


def first_statement(client, cid: str, headers) -> int:
    return client.get(f"{API}/{cid}/next", headers=headers).json["id"]


def send(client, cid: str, headers, statement_id: int, value: int, key: str | None):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        f"{API}/{cid}/votes",
        json={"statement_id": statement_id, "vote": value},
        headers={**headers, **extra},
    )


def logged(app) -> list[tuple[int, int]]:
    with app.app_context():
        rows = db.session.execute(select(VoteEvent.statement_id, VoteEvent.value))
        return [tuple(row) for row in rows]


def test_the_same_key_twice_is_one_vote_in_the_log(app, client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)

    first = send(client, cid, headers, statement_id, -1, "vote-1")
    again = send(client, cid, headers, statement_id, -1, "vote-1")

    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert logged(app) == [(statement_id, -1)]


def test_without_a_key_a_repeat_is_logged_again(app, client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    send(client, cid, headers, statement_id, 1, None)
    send(client, cid, headers, statement_id, 1, None)
    assert logged(app) == [(statement_id, 1), (statement_id, 1)]


def test_one_key_for_another_vote_is_refused_and_changes_nothing(app, client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    send(client, cid, headers, statement_id, 1, "k")

    refused = send(client, cid, headers, statement_id, -1, "k")

    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "idempotency_key_reused"
    assert logged(app) == [(statement_id, 1)]
    with app.app_context():
        assert db.session.scalars(select(Vote.value)).all() == [1]


def test_keys_belong_to_one_participant(app, client, conversation):
    cid = conversation["id"]
    ana, ben = join(client, cid), join(client, cid)
    statement_id = first_statement(client, cid, ana)
    assert send(client, cid, ana, statement_id, 1, "same").status_code == 201
    answer = send(client, cid, ben, statement_id, 1, "same")
    assert answer.status_code == 201
    assert "Idempotent-Replayed" not in answer.headers
    assert len(logged(app)) == 2


@pytest.mark.parametrize("key", ["", "x" * 65, "no spaces", "é"])
def test_a_malformed_key_is_a_400_or_no_key(app, client, conversation, key):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    answer = send(client, cid, headers, statement_id, 1, key)
    if key == "":  # an empty header is no key
        assert answer.status_code == 201
    else:
        assert answer.status_code == 400
        assert logged(app) == []


def test_a_racing_copy_of_the_request_is_answered_as_a_retry(app, client, conversation):
    """The other copy commits the key between this one's check and its write."""
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    done = []

    def other_copy(state) -> None:
        if done or not state.statement.is_insert:
            return
        done.append(True)
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO vote_events"
                    " (conversation_id, participant_id, statement_id, value, created_at,"
                    " request_key) SELECT conversation_id, id, :sid, 1, CURRENT_TIMESTAMP, 'race'"
                    " FROM participants WHERE conversation_id = :cid"
                ),
                {"cid": cid, "sid": statement_id},
            )
        other.dispose()

    with app.app_context():
        event.listen(db.session, "do_orm_execute", other_copy)
        try:
            answer = send(client, cid, headers, statement_id, 1, "race")
        finally:
            event.remove(db.session, "do_orm_execute", other_copy)
    assert done
    assert answer.status_code == 201
    assert answer.headers["Idempotent-Replayed"] == "true"
    assert logged(app) == [(statement_id, 1)]


def test_a_retry_after_closing_still_gets_its_answer(app, client, facilitator, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    statement_id = first_statement(client, cid, headers)
    send(client, cid, headers, statement_id, 0, "before-close")
    client.patch(f"{API}/{cid}", json={"is_open": False}, headers=facilitator.headers)
    assert send(client, cid, headers, statement_id, 0, "before-close").status_code == 201
    assert send(client, cid, headers, statement_id, 0, "after-close").status_code == 409


def test_the_same_vote_form_sent_twice_counts_once(app, client, conversation):
    cid = conversation["id"]
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    key = page.split('name="request_key" value="', 1)[1].split('"', 1)[0]
    statement_id = shown_statement_id(page)
    form = {"statement_id": statement_id, "vote": "agree", "request_key": key}
    assert client.post(f"/c/{cid}/vote", data=form).status_code == 302
    assert client.post(f"/c/{cid}/vote", data=form).status_code == 302
    assert logged(app) == [(statement_id, 1)]
    # The same page from the history, voting otherwise: a change of mind, counted.
    assert client.post(f"/c/{cid}/vote", data={**form, "vote": "disagree"}).status_code == 302
    assert logged(app) == [(statement_id, 1), (statement_id, -1)]
