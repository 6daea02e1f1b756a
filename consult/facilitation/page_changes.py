"""How a facilitator's form changes something and answers: done, back to the page with a
message beside what changed; refused, the same page again with why, under the refusal's 4xx
status (nothing changed, and a client or test can tell)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from consult.services.errors import ServiceError


def change_and_answer(
    change: Callable[[], object], success: str, page_url: str, refused_page: Callable[[], str]
) -> Any:
    """Make `change`; redirect to `page_url` with `success`, or answer `refused_page()` with
    the refusal's status. A missing thing (404) stays an error page of its own."""
    try:
        change()
    except ServiceError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return refused_page(), error.status
    flash(success, "success")
    return redirect(page_url)
