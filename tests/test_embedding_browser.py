"""An embedded consultation in a real Chromium: a facilitator lists a site and copies the
code, the site (another origin: localhost framing 127.0.0.1, so a third-party frame
without cookies) shows the frame sized to its content and its readers vote inside it,
and a site that is not listed gets the frame refused."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from accessibility import assert_accessible
from browsing import agree, api_counts, log_in
from playwright.sync_api import Frame, Page, Response, expect

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>City news</title></head>
<body><main><h1>City news</h1><p>Tell the city what you think about transport.</p>
{snippet}
<p id="after">Below the consultation.</p></main></body>
</html>
"""


class Site:
    """Another site, http://localhost:<its port>: its own origin, one page."""

    def __init__(self, folder: Path) -> None:
        self._page = folder / "index.html"
        folder.mkdir()
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://localhost:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def publish(self, snippet: str) -> None:
        self._page.write_text(HOST_PAGE.format(snippet=snippet))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 -- the base's name
        pass


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[Callable[[], Site]]:
    """`sites()` starts another site; each is a new origin."""
    started: list[Site] = []

    def start() -> Site:
        started.append(Site(tmp_path / f"site{len(started)}"))
        return started[-1]

    yield start
    for site in started:
        site.close()


def frame_ancestors(response: Response) -> list[str]:
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    return directives["frame-ancestors"].split()


def first_page_response(page: Page, cid: str, action: Callable[[], object]) -> Response:
    """The consultation page's answer, as the frame got it, while `action` runs."""
    with page.expect_response(lambda r: r.url.endswith(f"/c/{cid}")) as answer:
        action()
    return answer.value


def copied_snippet(page: Page, cid: str, origin: str) -> str:
    """What a facilitator does: list the site's origin, save, copy the code."""
    page.goto(f"/facilitate/c/{cid}")
    page.get_by_label("Sites that may embed this consultation").fill(origin)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    code = page.get_by_label("Code to embed the consultation")
    expect(code).to_be_visible()
    page.get_by_role("button", name="Copy the code").click()
    expect(page.locator("#embed-copied")).not_to_be_empty()
    assert_accessible(page, "the manage page with the code to embed")
    return code.input_value()


def assert_fits(page: Page, frame: Frame) -> None:
    """The frame on the host page is as tall as the page inside it, which never scrolls
    (within a second: the height travels by message after each change)."""
    for _ in range(20):
        outer = page.locator("iframe").evaluate("frame => frame.getBoundingClientRect().height")
        content = frame.evaluate("() => document.documentElement.getBoundingClientRect().height")
        if abs(outer - content) <= 1:
            break
        page.wait_for_timeout(50)
    assert abs(outer - content) <= 1, (outer, content)
    assert frame.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 1")


def test_readers_of_a_listed_site_vote_inside_the_frame(
    new_page, facilitator, conversation, client, sites, live_server
):
    cid = conversation["id"]
    site = sites()
    desk = new_page()
    log_in(desk, facilitator.email, facilitator.password)
    snippet = copied_snippet(desk, cid, site.origin)
    assert f'data-consult-embed="{live_server}/c/{cid}"' in snippet
    site.publish(snippet)

    reader = new_page()
    response = first_page_response(reader, cid, lambda: reader.goto(site.origin))
    assert frame_ancestors(response) == [site.origin]
    inside = reader.frame_locator("iframe")
    expect(inside.get_by_role("heading", level=1)).to_have_text("Transport")
    frame = reader.frame(url=f"{live_server}/c/{cid}")
    assert frame is not None
    assert_accessible(frame, "the consultation in a frame")

    # Sized to its content (not the snippet's first 600 px), with nothing to scroll inside.
    reader.wait_for_function("() => document.querySelector('iframe').style.height !== '600px'")
    assert_fits(reader, frame)
    # Only Consult's origin may size it: the host page's own message changes nothing.
    reader.evaluate("() => window.postMessage({type: 'consult:height', height: 5}, '*')")
    reader.wait_for_timeout(300)
    assert_fits(reader, frame)

    # The frame is third-party and over plain HTTP: no cookie, the page's token votes.
    progress = inside.locator("#progress")
    expect(progress).to_have_text("3 statements left")
    agree(inside).click()
    expect(progress).to_have_text("2 statements left")
    assert_accessible(frame, "after a vote in the frame")
    agree(inside).click()
    expect(progress).to_have_text("1 statement left")
    assert_fits(reader, frame)
    assert api_counts(client, cid) == {"participants": 1, "votes": 2, "statements": 3}
    assert [c for c in reader.context.cookies() if c["name"] == "consult_session"] == []
    # Pages that may not be framed open in a tab of their own.
    votes_link = inside.get_by_role("link", name="Your votes")
    expect(votes_link).to_have_attribute("target", "_blank")


def test_a_site_that_is_not_listed_gets_the_frame_refused(
    new_page, facilitator, conversation, client, sites
):
    cid = conversation["id"]
    listed, other = sites(), sites()
    desk = new_page()
    log_in(desk, facilitator.email, facilitator.password)
    # The other site pastes the code made for the listed one: it gets a frame, and
    # Chromium refuses to show the consultation in it.
    other.publish(copied_snippet(desk, cid, listed.origin))

    reader = new_page()
    response = first_page_response(reader, cid, lambda: reader.goto(other.origin))
    assert frame_ancestors(response) == [listed.origin]
    expect(reader.frame_locator("iframe").locator("body")).to_be_attached()
    [framed] = [f for f in reader.frames if f is not reader.main_frame]
    assert framed.url == "chrome-error://chromewebdata/"  # blocked, not the consultation
    assert reader.frame_locator("iframe").get_by_role("heading", name="Transport").count() == 0
    assert api_counts(client, cid)["votes"] == 0
