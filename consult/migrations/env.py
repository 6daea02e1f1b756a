"""Alembic environment: migrate the database of the current Flask app (Flask-SQLAlchemy 3)."""

from alembic import context
from flask import current_app

db = current_app.extensions["migrate"].db
config = context.config
config.set_main_option(
    "sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline() -> None:
    """Write the SQL out instead of running it (`consult db upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=db.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode alters a SQLite table by copying it and dropping the old one; with
            # foreign keys on, that drop would cascade and delete every row that refers to
            # it (participants, votes). The pragma only works outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            # Flask-Migrate's defaults include batch mode, which SQLite needs to alter tables.
            **current_app.extensions["migrate"].configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # the pool reuses it


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
