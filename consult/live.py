"""Socket.IO: who may join a consultation's rooms, and what is sent to them.

Two rooms per consultation: facilitators (those who run it) and the public (anyone, when
its results are public). Socket.IO events skip Flask's request hooks, so this module checks
the Origin, authorises each join and bounds how fast one connection may send events.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, disconnect, join_room

from consult.extensions import db, socketio
from consult.links import base_url
from consult.models import Analysis, Conversation, User, as_utc
from consult.security import current_user
from consult.services.api_tokens import user_for_token
from consult.services.consultations import can_manage, find_conversation
from consult.services.live_view import activity

EVENTS_PER_WINDOW = 20  # per connection; a page sends one join, a reconnecting page a few
WINDOW_SECONDS = 10.0
_recent_events: dict[str, deque[float]] = defaultdict(deque)


def room(conversation_id: str, audience: str) -> str:
    return f"{conversation_id}:{audience}"


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    if not _origin_allowed(request.headers.get("Origin")):
        raise ConnectionRefusedError("This origin may not connect.")
    token = auth.get("token") if isinstance(auth, dict) else None
    user = user_for_token(token) if isinstance(token, str) and token else None
    # Handlers see a copy of the cookie session per connection; nothing is written back.
    user = user or current_user()
    session["live_user_id"] = user.id if user else None


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    _recent_events.pop(request.sid, None)


@socketio.on("join")
def on_join(data: Any = None) -> dict[str, Any]:
    """Join a consultation's facilitator room (with authority) or its public room."""
    if not _within_rate(request.sid):
        disconnect()
        return {"ok": False, "error": "Too many events; reconnect later."}
    conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
    conversation = find_conversation(conversation_id) if isinstance(conversation_id, str) else None
    if conversation is None:
        return {"ok": False, "error": "There is no such consultation."}
    user_id = session.get("live_user_id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if can_manage(user, conversation):
        return _enter(conversation, "facilitator")
    if conversation.results_public:
        return _enter(conversation, "public")
    return {"ok": False, "error": "The results of this consultation are not public."}


def _enter(conversation: Conversation, audience: str) -> dict[str, Any]:
    try:
        join_room(room(conversation.id, audience))
    except ValueError:
        # The client left while its join was handled (a page closed at once): nobody to answer.
        return {"ok": False, "error": "Disconnected."}
    return {"ok": True, "room": audience}


def publish_analysis(conversation: Conversation, analysis: Analysis) -> None:
    """Tell the consultation's rooms about a new analysis (from any process)."""
    payload = {
        "conversation_id": conversation.id,
        "tick": analysis.version,
        "kind": analysis.kind,
        "created_at": as_utc(analysis.created_at).isoformat(),
        "view": analysis.view,
    }
    _emit(conversation, "analysis", payload)


def publish_stats(conversation: Conversation) -> None:
    _emit(conversation, "stats", {"conversation_id": conversation.id, **activity(conversation)})


def _emit(conversation: Conversation, event: str, payload: dict[str, Any]) -> None:
    socketio.emit(event, payload, to=room(conversation.id, "facilitator"))
    if conversation.results_public:
        socketio.emit(event, payload, to=room(conversation.id, "public"))


def _origin_allowed(origin: str | None) -> bool:
    """Same origin, or one of CONSULT_ALLOWED_ORIGINS; no Origin means no browser page."""
    if origin is None:
        return True
    allowed = current_app.config.get("CONSULT_ALLOWED_ORIGINS") or []
    return origin.rstrip("/") in {request.host_url.rstrip("/"), base_url(), *allowed}


def _within_rate(sid: str) -> bool:
    now = time.monotonic()
    recent = _recent_events[sid]
    while recent and recent[0] < now - WINDOW_SECONDS:
        recent.popleft()
    recent.append(now)
    return len(recent) <= EVENTS_PER_WINDOW
