"""What the browser tests share, and the production tier's test, which votes as they do:
the phone they emulate and the steps many of them take (read the counts, agree, log in, let
other people vote through the API). The fixtures `browser` and `new_page` are in conftest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests
from flask.testing import FlaskClient

if TYPE_CHECKING:  # playwright is imported by the tests that drive a browser
    from playwright.sync_api import Locator, Page

API = "/api/v1/conversations"
# Each form field of a page and its label (from <label>, else aria-label; "" for none).
FIELD_LABELS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), textarea, select')].map(el => ({
        field: el.id || el.name,
        label: [...el.labels].map(l => l.textContent.trim()).join(' ')
            || el.getAttribute('aria-label') || ''
    }))"""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


# What sticks out past the screen's width (to say what to fix when a test fails).
_WIDE = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > width || e.scrollWidth > width)
  .slice(0, 5)
  .map((e) => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right} ${e.scrollWidth}`)"""


def assert_fits_the_phone(page: Page, what: str = "the page") -> None:
    """Nothing sticks out sideways: no horizontal scrolling on the phone's screen."""
    width, screen = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    wide = page.evaluate(_WIDE, screen)
    assert width <= screen, f"{what} is {width} px wide on a {screen} px screen: {wide}"


def api_counts(client: FlaskClient, conversation_id: str) -> dict[str, int]:
    response = client.get(f"{API}/{conversation_id}")
    assert response.status_code == 200
    return response.json["counts"]


def agree(page: Page) -> Locator:
    return page.get_by_role("button", name="Agree", exact=True)


def statements_left(count: int) -> str:
    return f"{count} statement left" if count == 1 else f"{count} statements left"


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/facilitate/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def vote_in_camps(base: str, cid: str, voters: int, first: int = 0) -> None:
    """Participants vote through the live server's API, in two camps (as other people would);
    one vote in eleven goes the other way."""
    session = requests.Session()
    ids = [
        s["id"]
        for s in session.get(f"{base}{API}/{cid}/statements", timeout=30).json()["statements"]
    ]
    for n in range(first, first + voters):
        vote_as_new_participant(base, cid, ids, n % 2, session, flip_every=11, flip_offset=n)


def vote_as_new_participant(
    base: str,
    cid: str,
    ids: list[int],
    camp: int,
    session: requests.Session,
    *,
    flip_every: int = 0,
    flip_offset: int = 0,
) -> int:
    """A new participant of `camp` (0 or 1) votes on every statement of `ids` through the API:
    camp 0 agrees with the first half and disagrees with the rest, camp 1 the reverse; vote k
    goes the other way when `flip_every` divides k + `flip_offset`. The number of votes."""
    joined = session.post(f"{base}{API}/{cid}/participants", timeout=30)
    assert joined.status_code == 201, joined.text
    headers = {"Authorization": f"Bearer {joined.json()['token']}"}
    for k, sid in enumerate(ids):
        value = 1 if (k < len(ids) // 2) == (camp == 0) else -1
        if flip_every and (k + flip_offset) % flip_every == 0:
            value = -value
        answer = session.post(
            f"{base}{API}/{cid}/votes",
            json={"statement_id": sid, "vote": value},
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 201
    return len(ids)
