"""`consult` commands: facilitator accounts and tokens, and serving the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import requests
import socketio
from servers import free_port

API = "/api/v1/conversations"


def test_users_create_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "ana@example.org"], input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "Created facilitator ana@example.org." in result.output
    client = app.test_client()
    response = client.post(
        "/facilitate/login", data={"email": "ana@example.org", "password": "a long password"}
    )
    assert response.status_code == 302


def test_users_create_refuses_a_short_password_and_a_second_account(app):
    runner = app.test_cli_runner()
    assert (
        runner.invoke(args=["users", "create", "ana@example.org"], input="short\n").exit_code == 1
    )
    assert (
        runner.invoke(
            args=["users", "create", "ana@example.org"], input="a long password\n"
        ).exit_code
        == 0
    )
    again = runner.invoke(args=["users", "create", "ana@example.org"], input="a long password\n")
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_users_token_prints_a_working_api_token(app, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "ana@example.org"], input="a long password\n")
    result = runner.invoke(args=["users", "token", "ana@example.org"])
    token = result.output.strip()
    response = client.post(
        API, json={"topic": "From a script"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201
    assert runner.invoke(args=["users", "token", "nobody@example.org"]).exit_code == 1


def test_users_set_password_replaces_it_and_ends_every_login(app, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "ana@example.org"], input="the first password\n")
    token = runner.invoke(args=["users", "token", "ana@example.org"]).output.strip()
    login = {"email": "ana@example.org", "password": "the first password"}
    assert client.post("/facilitate/login", data=login).status_code == 302
    assert client.get("/facilitate/").status_code == 200  # logged in

    result = runner.invoke(
        args=["users", "set-password", "ana@example.org"], input="a second password\n"
    )
    assert result.exit_code == 0, result.output
    assert "their logins have ended" in result.output
    assert client.get("/facilitate/").status_code == 302  # that login ended
    other = app.test_client()
    assert other.post("/facilitate/login", data=login).status_code == 401
    new_login = {**login, "password": "a second password"}
    assert other.post("/facilitate/login", data=new_login).status_code == 302
    # API tokens are not passwords: a script keeps working.
    answer = other.post(API, json={"topic": "Still"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201


def test_users_set_password_refuses_a_short_one_and_an_unknown_account(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "ana@example.org"], input="the first password\n")
    short = runner.invoke(args=["users", "set-password", "ana@example.org"], input="short\n")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output
    nobody = runner.invoke(
        args=["users", "set-password", "nobody@example.org"], input="a second password\n"
    )
    assert nobody.exit_code == 1
    assert "No facilitator" in nobody.output
    login = {"email": "ana@example.org", "password": "the first password"}
    assert app.test_client().post("/facilitate/login", data=login).status_code == 302


def _wait_for_analysis(base: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        answer = requests.get(f"{base}{API}/demo/analysis", timeout=10)
        if answer.status_code == 200:
            return answer.json()
        assert time.monotonic() < deadline, "no analysis of the demo"
        time.sleep(0.3)


def _consult(
    args: list[str], database_url: str, tmp_path, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONSULT_DATABASE_URL": database_url, "CONSULT_SECRET_KEY": "x"}
    env.pop("CONSULT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "consult", *args],
        env=env, cwd=tmp_path, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.server
def test_users_create_first_on_a_fresh_database_works_or_says_what_to_run(
    empty_database_url, tmp_path
):
    """A newcomer may create an account before ever serving: no traceback."""
    result = _consult(
        ["users", "create", "ana@example.org"], empty_database_url, tmp_path, "a long password\n"
    )
    assert "Traceback" not in result.stdout + result.stderr
    if empty_database_url.startswith("sqlite"):
        assert result.returncode == 0, result.stderr
        assert "Created facilitator ana@example.org." in result.stdout
    else:
        assert result.returncode == 1
        assert "consult db upgrade" in result.stderr


@pytest.mark.server
def test_worker_without_redis_says_what_it_needs(empty_database_url, tmp_path):
    result = _consult(["worker"], empty_database_url, tmp_path)
    assert result.returncode == 1
    assert "CONSULT_REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.server
def test_consult_serve_demo_runs_a_consultation_to_vote_in(empty_database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "CONSULT_DATABASE_URL": empty_database_url, "CONSULT_SECRET_KEY": "x"}
    command = [sys.executable, "-m", "consult", "serve", "--port", str(port), "--demo"]
    with subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as server:
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    page = requests.get(f"{base}/c/demo", timeout=5)
                    break
                except (requests.ConnectionError, requests.Timeout):
                    assert server.poll() is None, server.stdout.read()
                    assert time.monotonic() < deadline, "consult serve did not start"
                    time.sleep(0.2)
            assert page.status_code == 200
            assert "12 statements left" in page.text
            counts = requests.get(f"{base}{API}/demo", timeout=5).json()["counts"]
            assert counts["statements"] == 12
            assert counts["participants"] == 200  # simulated, so that groups show at once
            analysis = _wait_for_analysis(base)
            assert analysis["analysis"]["counts"]["participants"] == 200
            # The same server speaks websocket: a Socket.IO client joins the public room.
            live = socketio.Client(reconnection=False)
            live.connect(base, transports=["websocket"], wait_timeout=20)
            assert live.call("join", {"conversation_id": "demo"}, timeout=10) == {
                "ok": True,
                "room": "public",
            }
            live.disconnect()
        finally:
            server.terminate()
            output = server.communicate(timeout=10)[0]
    assert f"Demo consultation: http://127.0.0.1:{port}/c/demo" in output
    assert "Demo facilitator: demo@consult.invalid / password " in output
    # Served again, the demo is there already: its password is not printed twice, but how
    # to set a new one is.
    with subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as again:
        lines: list[str] = []

        def read_until_served() -> None:
            for line in again.stdout:
                lines.append(line)
                if "Facilitators log in" in line:
                    return

        reader = threading.Thread(target=read_until_served, daemon=True)
        reader.start()
        reader.join(timeout=60)  # a server that never says so fails below, not hangs
        again.terminate()
        again.communicate(timeout=10)
    said = "".join(lines)
    assert "/ password " not in said
    assert "consult users set-password demo@consult.invalid" in said
