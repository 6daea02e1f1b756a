"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import make_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from consult.extensions import db


def test_upgrade_from_empty_matches_the_models(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        assert {"votes", "vote_events", "statements", "conversations"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_downgrade_removes_every_table(empty_database_url):
    app = make_app(empty_database_url, csrf=False)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
