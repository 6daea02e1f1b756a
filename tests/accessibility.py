"""axe-core in the browser tests: a page state with any accessibility violation fails.

axe-core (4.12, Deque Systems, MPL 2.0) comes inside the axe-playwright-python package,
which injects it through Playwright (DevTools evaluation, so the pages' CSP still holds).
Call `assert_accessible(page)` at every state a test reaches: after loading, after a
vote, with a message shown, with a dialog open.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()
# Every rule axe runs by default (WCAG 2.0-2.2 A and AA and best practices), violations only.
_OPTIONS = {"resultTypes": ["violations"]}


def assert_accessible(page: Any, state: str = "") -> None:
    """Fail with axe's report if this page, as it is now, breaks any rule."""
    results = _AXE.run(page, options=_OPTIONS)
    where = f"{state} ({page.url})" if state else page.url
    assert results.violations_count == 0, f"axe-core, {where}:\n{results.generate_report()}"


def assert_accessible_as_shown_without_scripts(browser: Any, page: Any, state: str = "") -> None:
    """axe-core on what a page with JavaScript turned off shows.

    axe-core is itself a script and never answers in such a page, so the page's HTML is
    served again, from its own address, to a context that runs scripts but blocks the
    site's: the same document, styles and viewport, and axe can run. (No template has a
    noscript element, which would render differently there.)
    """
    html = page.content()
    address = page.url.split("#", 1)[0]
    context = browser.new_context(viewport=page.viewport_size)
    try:
        context.route("**/*.js", lambda route: route.abort())
        context.route(
            address, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8")
        )
        copy = context.new_page()
        copy.goto(address)
        assert_accessible(copy, f"{state}, as shown without JavaScript")
    finally:
        context.close()
