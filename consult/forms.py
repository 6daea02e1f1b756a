"""Reading values out of forms and query strings, where everything arrives as a string."""

from __future__ import annotations

from collections.abc import Mapping

from flask import request
from flask_babel import gettext as _

from consult.services.errors import InvalidInput

_VOTES = {"1": 1, "-1": -1, "0": 0, "agree": 1, "disagree": -1, "pass": 0}
MAX_ID = 2**53
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def whole_number(raw: str, name: str, *, low: int = 1, high: int = MAX_ID) -> int:
    """Parse a decimal whole number in [low, high], or raise InvalidInput naming `name`."""
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16 or not low <= int(raw) <= high:
        raise InvalidInput(
            _(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=low,
                high=high,
            ),
            field=name,
        )
    return int(raw)


def form_vote(form: Mapping[str, str]) -> int:
    try:
        return _VOTES[form.get("vote", "")]
    except KeyError:
        raise InvalidInput(_("Choose agree, disagree or pass."), field="vote") from None


def form_text(form: Mapping[str, str], name: str) -> str:
    """A text box's value with its line breaks as typed: a browser sends each as CRLF, two
    characters where one was typed, and counted against the box's limit."""
    return form.get(name, "").replace("\r\n", "\n")


def form_checkbox(form: Mapping[str, str], name: str) -> bool:
    return form.get(name) in {"on", "1", "true", "yes"}


def page_argument(args: Mapping[str, str], name: str = "page", default: int = 1) -> int:
    raw = args.get(name)
    return default if raw is None else whole_number(raw, name, high=1_000_000)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill, `per_page` to a page; an empty list is one page."""
    return max(1, -(-total // per_page))


def refuse_nul_characters() -> None:
    """A NUL in the path, the query or a form field is a 400 before any view runs.

    PostgreSQL's text cannot hold NUL, so such a value reaching a query would be a 500;
    nobody types one. (JSON bodies are checked field by field, as text is cleaned.)
    """
    values = [
        *(request.view_args or {}).values(),
        *(value for _, values in request.args.lists() for value in values),
    ]
    if request.mimetype in _FORM_TYPES:  # never parse a JSON body here: views set its limit
        values += [value for _, values in request.form.lists() for value in values]
    if any(isinstance(value, str) and "\x00" in value for value in values):
        raise InvalidInput(_("The request contains a character that is not allowed (NUL)."))
