"""Dates, times and numbers as the request's locale writes them (Babel's CLDR data).

The day comes before the month in every language we ship, so one pattern serves all with
the locale's month names ("2 Dec 2026", "2 déc. 2026"); how a date and a time are joined is
a translated message. Times are stored and shown in UTC: the pages say "UTC" beside them.
Outside a request (CLI, worker) the English forms are used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from babel import dates, lists, numbers
from flask import Flask, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2 import Undefined

from consult.models import as_utc

SHORT_DAY, LONG_DAY = "d MMM y", "d MMMM y"
# The site's English is British ("organisers"), and so are its dates: 2 December 2026.
FORMATTING_LOCALES = {"en": "en_GB"}


def day(moment: datetime, pattern: str = SHORT_DAY) -> str:
    """The date alone: "2 Dec 2026" (`LONG_DAY`: "2 December 2026")."""
    return dates.format_date(as_utc(moment), pattern, locale=formatting_locale())


def long_date(moment: date) -> str:
    """A day as people write it in the language: "2 December 2026", "2 de diciembre de 2026"."""
    return dates.format_date(moment, "long", locale=formatting_locale())


def clock(moment: datetime) -> str:
    """The time of day in UTC on the 24-hour clock: "09:05"."""
    return as_utc(moment).strftime("%H:%M")


def minute(moment: datetime, pattern: str = SHORT_DAY) -> str:
    """The date and the time to the minute, without the zone: "2 Dec 2026, 09:05"."""
    return _("%(date)s, %(time)s", date=day(moment, pattern), time=clock(moment))


def number(value: float, pattern: str | None = None) -> str:
    """A number with the locale's separators: 1,234 / 1 234; `pattern` "0.00": 0.42 / 0,42.

    Western digits in every language, as static/js/text.js writes them too."""
    return numbers.format_decimal(value, pattern, locale=formatting_locale())


def listing(items: Iterable[str]) -> str:
    """Items as a sentence lists them: "Group A and Group B", "Groupe A et Groupe B"."""
    return lists.format_list(list(items), locale=formatting_locale())


def formatting_locale() -> str:
    """The request's language as Babel's formats know it; English outside a request."""
    code = str(get_locale()) if has_request_context() else "en"
    return FORMATTING_LOCALES.get(code, code)


def register(app: Flask) -> None:
    """The formats as the templates' filters."""
    app.jinja_env.filters.update(
        day=day,
        long_date=long_date,
        minute=minute,
        clock=clock,
        number=_number_or_nothing,
        listing=listing,
    )


def _number_or_nothing(value: Any, pattern: str | None = None) -> str:
    # A count missing from an old stored analysis printed as nothing before: not a 500 now.
    if value is None or isinstance(value, Undefined):
        return ""
    return number(value, pattern)
