"""Two facilitators saving at the same moment, on PostgreSQL (the production tier): the
settings and moderation guards check under row locks, so the second save is checked after
the first."""

from __future__ import annotations

import re
import threading

from conftest import (
    create_conversation,
    join,
    make_app,
    make_facilitator,
    new_postgres_database,
)
from helpers import distinct_text, log_in
from sqlalchemy import text

from consult.extensions import db

API = "/api/v1/conversations"


def test_a_save_made_while_another_holds_the_row_is_checked_after_it():
    with new_postgres_database() as url:
        app = make_app(url, csrf=False)
        with app.app_context():
            db.create_all()
        facilitator = make_facilitator(app)
        client = app.test_client()
        cid = create_conversation(client, facilitator)["id"]
        log_in(client, facilitator)
        page = client.get(f"/facilitate/c/{cid}").get_data(as_text=True)
        drawn_from = re.search(r'name="edited_from" value="(\w+)"', page).group(1)
        form = {
            "topic": "Mine",
            "question": "",
            "description": "",
            "statement_max_length": "280",
            "edited_from": drawn_from,
        }
        answers = []
        with app.app_context(), db.engine.connect() as other:
            # The other facilitator's save, between its check and its commit.
            other.execute(
                text("SELECT id FROM conversations WHERE id = :cid FOR UPDATE"), {"cid": cid}
            )
            saving = threading.Thread(
                target=lambda: answers.append(client.post(f"/facilitate/c/{cid}", data=form))
            )
            saving.start()
            saving.join(timeout=1.5)
            assert saving.is_alive()  # waits for the row
            other.execute(
                text("UPDATE conversations SET topic = 'Theirs' WHERE id = :cid"), {"cid": cid}
            )
            other.commit()
        saving.join(timeout=30)
        assert answers[0].status_code == 409
        assert client.get(f"{API}/{cid}").json["topic"] == "Theirs"
        with app.app_context():
            db.engine.dispose()


def test_a_moderation_made_while_another_holds_the_row_is_checked_after_it():
    with new_postgres_database() as url:
        app = make_app(url, csrf=False)
        with app.app_context():
            db.create_all()
        facilitator = make_facilitator(app)
        client = app.test_client()
        cid = create_conversation(client, facilitator, strict_moderation=True)["id"]
        author = join(client, cid)
        sid = client.post(
            f"{API}/{cid}/statements", json={"text": distinct_text(1)}, headers=author
        ).json["id"]
        log_in(client, facilitator)
        form = {"row": f"accept-{sid}", f"shown_as-{sid}": "unmoderated"}
        answers = []
        with app.app_context(), db.engine.connect() as other:
            # The other facilitator's rejection, between its check and its commit.
            other.execute(
                text("SELECT id FROM statements WHERE id = :sid FOR UPDATE"), {"sid": sid}
            )
            acting = threading.Thread(
                target=lambda: answers.append(
                    client.post(f"/facilitate/c/{cid}/moderate", data=form, follow_redirects=True)
                )
            )
            acting.start()
            acting.join(timeout=1.5)
            assert acting.is_alive()  # waits for the row
            other.execute(
                text("UPDATE statements SET status = 'REJECTED' WHERE id = :sid"), {"sid": sid}
            )
            other.commit()
        acting.join(timeout=30)
        assert "moderated by someone else" in answers[0].get_data(as_text=True)
        listed = client.get(
            f"{API}/{cid}/statements?status=all&per_page=100", headers=facilitator.headers
        ).json["statements"]
        assert {row["id"]: row["status"] for row in listed}[sid] == "rejected"
        with app.app_context():
            db.engine.dispose()
