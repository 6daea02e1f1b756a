"""`consult serve`: gunicorn in one process, the same server code path as production.

One gunicorn worker with many threads, as Flask-SocketIO's threading mode requires
(each open websocket holds a thread); the analysis runner thread starts in that worker.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from consult.extensions import db
from consult.graceful_exit import close_websockets_on_sigterm

THREADS = 100
# No client address (%(h)s) and no query string (%(U)s is the path alone): personal links
# carry xids in their query, and neither belongs in a log.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class EmbeddedServer(BaseApplication):
    """gunicorn's own application class, given an app object instead of an import path."""

    def __init__(self, app: Flask, host: str, port: int, *, access_log: bool = False) -> None:
        self._app = app
        self._options = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": THREADS,
            # A websocket may stay open for an hour; gthread counts it as a connection.
            "worker_connections": 1000,
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": "-" if access_log else None,
            "access_log_format": ACCESS_LOG_FORMAT,
            "post_fork": _after_fork,
            # After the worker's own signal handlers are set.
            "post_worker_init": lambda _worker: close_websockets_on_sigterm(),
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            if value is not None:
                self.cfg.set(name, value)

    def load(self) -> Flask:
        return self._app


def _after_fork(_server: Any, worker: Any) -> None:
    """Connections opened before the fork (schema upgrade, demo) are not the worker's."""
    app: Flask = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
    runner = app.extensions.get("consult.runner")
    if runner is not None:
        runner.start()
