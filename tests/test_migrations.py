"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import make_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from consult.extensions import db
from consult.models import Statement
from consult.services import consultations, participants, users, votes


def test_upgrade_from_empty_matches_the_models(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        assert {"votes", "vote_events", "statements", "conversations"} <= set(
            inspect(db.engine).get_table_names()
        )
        db.engine.dispose()


def test_downgrade_removes_every_table(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_text_hash_is_filled_for_existing_statements(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="800bdb87dcdd")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, created_at)"
                    " VALUES (1, 'f@example.org', 'x', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO conversations (id, owner_id, topic, question, description,"
                    " is_open, strict_moderation, allow_statements, statement_max_length,"
                    " require_xid, created_at)"
                    " VALUES ('c1', 1, 't', '', '', true, false, true, 280, false,"
                    " CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO statements (conversation_id, text, normalized_text, is_seed,"
                    " status, is_meta, created_at) VALUES ('c1', 'Trams!', 'trams', true,"
                    " 'ACCEPTED', false, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            stored = connection.execute(text("SELECT text_hash FROM statements")).scalar_one()
        assert stored == hashlib.sha256(b"trams").hexdigest()
        db.engine.dispose()


def test_statements_with_signs_are_compared_by_the_new_rule_after_the_upgrade(
    empty_database_url,
):
    """ "+10%" was stored folded to "10": after 0016 and 0017 it compares as "+ 10 %", the
    rule new statements are normalised by; a text without signs is left as it was."""
    app = make_app(empty_database_url, csrf=False)
    folded_before = {  # as the rule before 0016 stored them
        "Fees up by +10%": "fees up by 10",
        "Fees down by \u221210%": "fees down by 10",
        "Keep it \u226e 5 km": "keep it 5 km",
        "Raise fares by \u20ac2": "raise fares by 2",
        "Trams, now!": "trams now",
    }
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)  # the models' schema, then back to before 0016
        owner = users.create_user("owner@example.org", "a long password")
        consultations.create_conversation(owner, "Signs", seed_statements=list(folded_before))
        db.session.remove()
        downgrade(directory=directory, revision="0015_question_targets")
        for raw, old in folded_before.items():
            db.session.execute(
                text(
                    "UPDATE statements SET normalized_text = :old, text_hash = :hash"
                    " WHERE text = :raw"
                ),
                {"raw": raw, "old": old, "hash": hashlib.sha256(old.encode()).hexdigest()},
            )
        db.session.commit()
        db.session.remove()
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT text, normalized_text, text_hash FROM statements")
            ).all()
        stored = {raw: (normalized, digest) for raw, normalized, digest in rows}
        for raw, normalized in (
            ("Fees up by +10%", "fees up by + 10 %"),
            ("Fees down by \u221210%", "fees down by - 10 %"),
            ("Raise fares by \u20ac2", "raise fares by \u20ac 2"),
            ("Keep it \u226e 5 km", "keep it < \u0338 5 km"),
            ("Trams, now!", "trams now"),
        ):
            assert stored[raw] == (normalized, hashlib.sha256(normalized.encode()).hexdigest())
        db.engine.dispose()


def test_xid_hash_migration_drops_plain_xids_and_keeps_participants(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    rows = {
        "users": {"id": 1, "email": "f@x", "password_hash": "h"},
        "conversations": {
            "id": "c1",
            "owner_id": 1,
            "topic": "T",
            "question": "",
            "description": "",
            "is_open": True,
            "strict_moderation": False,
            "allow_statements": True,
            "statement_max_length": 280,
            "require_xid": True,
        },
        "participants": {"id": 1, "conversation_id": "c1", "xid": "jane@x"},
    }
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="800bdb87dcdd")
        with db.engine.begin() as connection:
            for table, values in rows.items():
                values = {**values, "created_at": datetime.now(UTC)}
                names = ", ".join(values)
                places = ", ".join(f":{name}" for name in values)
                connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({places})"), values)
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            kept = connection.execute(text("SELECT * FROM participants")).mappings().all()
        assert [(row["id"], row["xid_hash"]) for row in kept] == [(1, None)]
        assert "jane@x" not in str(kept)
        downgrade(directory=directory, revision="800bdb87dcdd")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT id, xid FROM participants")).all() == [(1, None)]
        db.engine.dispose()


def test_outcomes_migration_adds_and_removes_its_tables_and_keeps_the_rest(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    now = datetime.now(UTC)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0004_live_analysis")
        assert "outcomes" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, created_at)"
                    " VALUES (1, 'f@example.org', 'x', :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO conversations (id, owner_id, topic, question, description,"
                    " is_open, strict_moderation, allow_statements, statement_max_length,"
                    " require_xid, results_public, analysis_profile, content_changed_at,"
                    " created_at) VALUES ('c1', 1, 't', '', '', true, false, true, 280, false,"
                    " true, 'consult', :now, :now)"
                ),
                {"now": now},
            )
        upgrade(directory=directory, revision="0005_outcomes")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO outcomes (conversation_id, text, published_at, created_at,"
                    " updated_at) VALUES ('c1', 'Adopted.', :now, :now, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO outcome_responses (conversation_id, group_id, group_label,"
                    " status, text, created_at, updated_at)"
                    " VALUES ('c1', 0, 'Group A', 'ADOPTED', 'Article 4.', :now, :now)"
                ),
                {"now": now},
            )
        downgrade(directory=directory, revision="0004_live_analysis")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"outcomes", "outcome_responses"} & tables
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM conversations")).all() == [("c1",)]
        db.engine.dispose()


def test_the_tally_triggers_survive_every_migration(empty_database_url):
    """SQLite rebuilds a table for some changes, dropping its triggers: after the last
    migration (and after a downgrade past one that rebuilds), counts still follow rows."""
    app = make_app(empty_database_url, csrf=False)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        downgrade(directory=directory, revision="0008_read_indexes")
        upgrade(directory=directory)
        owner = users.create_user("owner@example.org", "a long password")
        conversation = consultations.create_conversation(
            owner, "Triggers", seed_statements=["Buses should run all night."]
        )
        participant, _token, _created = participants.join(conversation)
        statement = db.session.scalar(select(Statement).filter_by(conversation_id=conversation.id))
        votes.cast_vote(conversation, participant, statement.id, 1)
        assert consultations.counts(conversation) == {
            "participants": 1,
            "votes": 1,
            "statements": 1,
        }
        db.session.remove()  # give the session's connection back, so dispose() closes it
        db.engine.dispose()
