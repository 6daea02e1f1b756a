"""Ending a request's database session when the connection died after the answer was made.

Flask-SQLAlchemy's teardown rolls the session back; on a connection the server dropped
(a restart, `pg_terminate_backend`) that rollback raises, and the exception turned an
answer already made, a vote already committed, into gunicorn's bare 500. Here the session
is closed first, and on such an error dropped with its connection instead: what was
committed stays committed, and nothing uncommitted survives a dead connection anyway.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import Flask
from sqlalchemy.exc import DBAPIError

from consult.extensions import db

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register after `db.init_app`: teardowns run last registered first, so this one ends
    the session before Flask-SQLAlchemy's own finds nothing left to do."""

    @app.teardown_appcontext
    def _end_session(_error: BaseException | None) -> None:
        try:
            db.session.remove()
        except DBAPIError as error:
            log.warning("database connection lost while ending a request: %s", error)
            registry = db.session.registry
            if registry.has():
                with suppress(DBAPIError):
                    registry().invalidate()  # the connection goes, with no rollback sent on it
            registry.clear()
