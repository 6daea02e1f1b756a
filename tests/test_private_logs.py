"""Logs carry no personal data: no bound parameters in database errors, and the access log
of `consult serve` has neither addresses nor query strings (personal links carry xids)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from servers import free_port
from sqlalchemy import text

from consult.extensions import db


def test_database_errors_do_not_show_the_values_sent(app):
    with app.app_context():
        with pytest.raises(Exception) as failure:  # noqa: PT011 -- the dialects differ
            db.session.execute(
                text("SELECT * FROM no_such_table WHERE email = :email"),
                {"email": "jane.doe@example.org"},
            )
        db.session.rollback()
    assert "jane.doe" not in str(failure.value)
    assert "hidden" in str(failure.value)  # SQLAlchemy says the parameters were hidden


@pytest.mark.server
def test_the_access_log_has_no_address_and_no_query(empty_database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "CONSULT_DATABASE_URL": empty_database_url, "CONSULT_SECRET_KEY": "x"}
    env.pop("CONSULT_REDIS_URL", None)
    command = [sys.executable, "-m", "consult", "serve", "--port", str(port), "--access-log"]
    server = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(
                    f"http://127.0.0.1:{port}/c/nothing-here?xid=jane.doe@example.org&sig=abc",
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert server.poll() is None, "consult serve stopped"
                assert time.monotonic() < deadline, "consult serve did not start"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    requests_logged = [line for line in output.splitlines() if '"GET /c/nothing-here' in line]
    assert requests_logged, output
    for line in requests_logged:
        assert "jane.doe" not in line
        assert "xid" not in line
        assert "127.0.0.1" not in line
        assert " 404 " in line
