"""Inputs and races that once gave a 500 on PostgreSQL give a 4xx, or the right outcome."""

from __future__ import annotations

import multiprocessing

import pytest
from conftest import make_app, make_facilitator
from helpers import log_in
from sqlalchemy import create_engine, event, text

from consult.config import _instance_secret
from consult.extensions import db
from consult.services import consultations, users
from consult.services.errors import Conflict

NUL = "\x00"


def test_a_nul_in_the_login_form_is_refused_not_a_500(client, facilitator):
    response = client.post(
        "/facilitate/login", data={"email": f"a{NUL}@example.org", "password": "x"}
    )
    assert response.status_code == 400
    assert "not allowed" in response.get_data(as_text=True)


def test_a_nul_in_the_share_form_changes_nothing(app, client, facilitator, conversation):
    log_in(client, facilitator)
    cid = conversation["id"]
    response = client.post(f"/facilitate/c/{cid}/share", data={"email": f"b{NUL}@example.org"})
    assert response.status_code == 400
    with app.app_context():
        assert consultations.find_conversation(cid).shares == []


@pytest.mark.parametrize(
    "path",
    [
        "/c/%00",
        "/c/%00/votes",
        "/c/%00/report",
        "/c/demo/report?statements=%00",
        "/api/v1/conversations/%00",
        "/api/v1/conversations/%00/report.pdf",
        "/facilitate/login?next=%00",
    ],
)
def test_a_nul_in_a_path_or_query_is_a_400(client, path):
    assert client.get(path).status_code == 400


def test_a_long_cjk_statement_is_stored(client, facilitator, conversation):
    """2,000 CJK characters are 6,000 bytes: too big for a btree on the text itself."""
    cid = conversation["id"]
    settings = {"statement_max_length": 2000}
    headers = facilitator.headers
    changed = client.patch(f"/api/v1/conversations/{cid}", json=settings, headers=headers)
    assert changed.status_code == 200
    participant = client.post(f"/api/v1/conversations/{cid}/participants", json={}).json
    bearer = {"Authorization": f"Bearer {participant['token']}"}
    statement = ("市民の声を聞く。" * 250)[:2000]
    assert len(statement) == 2000
    response = client.post(
        f"/api/v1/conversations/{cid}/statements", json={"text": statement}, headers=bearer
    )
    assert response.status_code == 201, response.json


def _meanwhile(app, sql: str, **params) -> None:
    """Run `sql` on another connection just before this session's next flush: the other
    request of a race, landing between our check and our insert."""

    def interleave(*_args) -> None:
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.begin() as connection:
            connection.execute(text(sql), params)
        other.dispose()

    event.listen(db.session, "before_flush", interleave, once=True)


def test_two_accounts_made_at_once_give_one_and_a_conflict(app):
    with app.app_context():
        _meanwhile(
            app,
            "INSERT INTO users (email, password_hash, created_at)"
            " VALUES ('ana@example.org', 'x', CURRENT_TIMESTAMP)",
        )
        with pytest.raises(Conflict):
            users.create_user("ana@example.org", "a long password")
        assert users.get_user_by_email("ana@example.org").password_hash == "x"


def test_sharing_twice_at_once_shares_once(app, facilitator, conversation):
    other = make_facilitator(app, "other@example.org")
    with app.app_context():
        found = consultations.find_conversation(conversation["id"])
        owner, guest = found.owner, users.get_user_by_email(other.email)
        _meanwhile(
            app,
            "INSERT INTO conversation_shares (conversation_id, user_id) VALUES (:cid, :uid)",
            cid=found.id,
            uid=guest.id,
        )
        consultations.share_conversation(found, owner, guest)  # no IntegrityError
        assert consultations.can_manage(guest, consultations.find_conversation(found.id))


def _read_secret(folder: str, start: multiprocessing.synchronize.Event, keys) -> None:
    start.wait()
    keys.put(_instance_secret(folder))


def test_processes_starting_at_once_share_one_secret_key(tmp_path):
    """Each trial: 6 processes make the instance's key at the same moment; all read one."""
    context = multiprocessing.get_context("fork")
    for trial in range(5):
        folder = str(tmp_path / f"instance-{trial}")
        start, keys = context.Event(), context.Queue()
        processes = [
            context.Process(target=_read_secret, args=(folder, start, keys)) for _ in range(6)
        ]
        for process in processes:
            process.start()
        start.set()
        for process in processes:
            process.join(timeout=30)
        found = {keys.get(timeout=5) for _ in processes}
        assert len(found) == 1
        assert len(found.pop()) == 64
        assert sorted(p.name for p in (tmp_path / f"instance-{trial}").iterdir()) == ["secret_key"]


@pytest.mark.parametrize(
    "unreachable",
    ["postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite:////no/such/folder/consult.db"],
)
def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after(unreachable):
    app = make_app(unreachable, csrf=False)
    client = app.test_client()
    api = client.get("/api/v1/conversations/abcdefghij")
    assert api.status_code == 503
    assert api.json["error"]["code"] == "service_unavailable"
    assert api.headers["Retry-After"] == "5"
    page = client.get("/c/abcdefghij")
    assert page.status_code == 503
    assert "try again in a few seconds" in page.get_data(as_text=True)
