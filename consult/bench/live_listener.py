"""The live-latency benchmark's client: a Socket.IO connection in a consultation's
facilitator room that records when each `analysis` event arrives and what it counts."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import socketio


@dataclass
class Listener:
    """A Socket.IO client in the facilitator room, recording every `analysis` event."""

    base: str
    conversation_id: str
    token: str
    events: list[tuple[float, int, str, int]] = field(
        default_factory=list
    )  # time, votes, kind, tick

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("analysis", self._on_analysis)
        self.client.connect(
            self.base, auth={"token": self.token}, transports=["websocket"], wait_timeout=20
        )
        answer = self.client.call("join", {"conversation_id": self.conversation_id}, timeout=20)
        if answer != {"ok": True, "room": "facilitator"}:
            raise RuntimeError(f"join refused: {answer}")

    def _on_analysis(self, payload: dict[str, Any]) -> None:
        arrived = time.monotonic()
        if payload.get("conversation_id") == self.conversation_id:
            with self._lock:
                view = payload.get("view") or {}
                votes = int(view.get("counts", {}).get("votes", -1))
                self.events.append(
                    (arrived, votes, str(payload.get("kind")), int(payload.get("tick", -1)))
                )

    def snapshot(self) -> list[tuple[float, int, str, int]]:
        with self._lock:
            return list(self.events)

    def wait_for(self, votes: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(v >= votes for _, v, _, _ in self.snapshot()):
                return True
            if not self.client.connected:
                raise RuntimeError("the Socket.IO client was disconnected")
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self.client.disconnect()
