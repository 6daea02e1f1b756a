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
