"""The browser tests' server: clients that reset connections leave nothing open behind."""

from __future__ import annotations

import gc
import socket
import struct
import time

RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset


def test_a_client_resetting_the_connection_leaves_no_file_open(live_server: str) -> None:
    """A browser leaving a page mid-request once failed an unrelated browser test in CI:
    the static file's handle leaked, and its ResourceWarning is an error under pytest."""
    host, port = live_server.removeprefix("http://").split(":")
    for attempt in range(200):  # resets at varied moments, some while the server drains
        with socket.create_connection((host, int(port))) as client:
            client.sendall(b"GET /static/favicon.svg HTTP/1.1\r\nHost: consult\r\n\r\n")
            time.sleep(0.001 * (attempt % 10))
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
    time.sleep(0.5)  # the server's threads finish with the last requests
    gc.collect()  # a leaked handle warns here, failing the test
