"""A web process told to stop (SIGTERM: a deploy, a restart) closes its websockets first.

gunicorn lets a stopping worker finish its requests, and an open websocket is a request
that never finishes: the worker waited out the graceful timeout, then hung at exit on the
threads that held the websockets until the master killed it, its port silent all along
(a tester measured 60 s). Closed at once, the browsers reconnect (to another process, or
to this one once it is back) and rejoin their rooms.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

from consult.extensions import socketio

log = logging.getLogger(__name__)


def close_websockets_on_sigterm() -> None:
    """Run before the server's own SIGTERM handler (gunicorn's, set before the app loads)."""
    previous = signal.getsignal(signal.SIGTERM)

    def stopping(signum: int, frame: FrameType | None) -> None:
        close_websockets()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, stopping)


def close_websockets() -> int:
    """Close every websocket this process holds; returns how many."""
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    sockets = list(server.eio.sockets.values())
    for socket in sockets:
        try:
            socket.close(wait=False, abort=True)
        except Exception:  # noqa: BLE001 -- one broken socket must not keep the others open
            log.exception("closing a websocket on shutdown")
    return len(sockets)
