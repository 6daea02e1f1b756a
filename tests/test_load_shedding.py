"""Past CONSULT_MAX_IN_FLIGHT requests at once, a process answers 503 at once, not late."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from conftest import make_app
from flask import Flask

from consult.extensions import db
from consult.load_shedding import busy_pages

LIMIT = 2


class SlowRequests:
    """Requests to /slow that stay in the app until released, each from its own client."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)
        self.threads: list[threading.Thread] = []
        self.statuses: list[int] = []

    def start(self, n: int) -> None:
        for _ in range(n):
            thread = threading.Thread(target=self._send)
            thread.start()
            self.threads.append(thread)
            assert self.entered.acquire(timeout=10), "a slow request never reached the view"

    def finish(self) -> None:
        self.release.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _send(self) -> None:
        self.statuses.append(self.app.test_client().get("/slow").status_code)


@pytest.fixture
def busy_app(database_url: str) -> Iterator[tuple[Flask, SlowRequests]]:
    app = make_app(database_url, csrf=False, CONSULT_MAX_IN_FLIGHT=LIMIT, CONSULT_RETRY_AFTER=3)
    with app.app_context():
        db.create_all()
    slow = SlowRequests(app)

    def slow_view() -> str:
        slow.entered.release()
        slow.release.wait(timeout=10)
        return "done"

    app.add_url_rule("/slow", "slow", slow_view)
    yield app, slow
    slow.finish()


def test_a_request_under_the_limit_passes(busy_app):
    app, slow = busy_app
    slow.start(LIMIT - 1)
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200


def test_past_the_limit_the_api_answers_503_with_retry_after_at_once(busy_app):
    app, slow = busy_app
    slow.start(LIMIT)
    started = time.monotonic()
    answer = app.test_client().post("/api/v1/conversations/abc/votes", json={})
    assert time.monotonic() - started < 1
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "3"
    assert answer.json["error"]["code"] == "overloaded"
    assert "try again in 3 seconds" in answer.json["error"]["message"]
    assert answer.headers["Content-Security-Policy"]  # the security headers are still there


def test_past_the_limit_a_page_gets_a_readable_503(busy_app):
    app, slow = busy_app
    slow.start(LIMIT)
    answer = app.test_client().get("/")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "3"
    assert answer.mimetype == "text/html"
    assert "Please try again in 3 seconds" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept", "chosen", "lang", "direction", "sentence"),
    [
        ("fr-FR,fr;q=0.9", None, "fr", "ltr", "Veuillez réessayer dans 3 secondes"),
        ("ar", None, "ar", "rtl", "يُرجى المحاولة مرة أخرى بعد 3 ثوانٍ"),
        # The language switcher's choice wins over the browser's, as on every page.
        ("fr", "es", "es", "ltr", "Vuelva a intentarlo dentro de 3 segundos"),
        ("de, xx;q=0.5", "xx", "en", "ltr", "Please try again in 3 seconds"),
    ],
)
def test_the_busy_page_speaks_the_citizens_language(
    busy_app, accept, chosen, lang, direction, sentence
):
    app, slow = busy_app
    slow.start(LIMIT)
    client = app.test_client()
    if chosen:
        client.set_cookie("consult_lang", chosen)
    page = client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{direction}">' in page
    assert sentence in page


def test_one_second_is_said_in_the_singular():
    pages = {code: page.decode() for code, page in busy_pages(1).items()}
    assert "Please try again in 1 second:" in pages["en"]
    assert "dans 1 seconde :" in pages["fr"]
    assert "dentro de 1 segundo:" in pages["es"]
    assert "بعد ثانية واحدة" in pages["ar"]


def test_static_files_are_served_past_the_limit(busy_app):
    app, slow = busy_app
    slow.start(LIMIT)
    answer = app.test_client().get("/static/css/consult.css")
    assert answer.status_code == 200
    answer.close()


def test_slots_come_back_when_the_requests_are_done(busy_app):
    app, slow = busy_app
    slow.start(LIMIT)
    slow.finish()
    assert slow.statuses == [200] * LIMIT
    for _ in range(LIMIT + 1):
        assert app.test_client().get("/api/v1/openapi.json").status_code == 200


def test_zero_turns_shedding_off(database_url):
    app = make_app(database_url, csrf=False, CONSULT_MAX_IN_FLIGHT=0)
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200
