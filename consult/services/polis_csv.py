"""The text format of Polis's export files, and the rule that keeps their texts formula-safe.

Current Polis writes CSV by hand: numbers bare, free text always in double quotes with
quotes doubled, LF line ends, UTF-8 (server/src/routes/export.ts, `formatEscapedText`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def formula_safe(text: str) -> str:
    """The text with a single quote in front when it could run as a formula.

    A text already starting with a quote gets one more, so `from_formula_safe` can always
    take exactly one away: importing our own export restores every text exactly.
    """
    if text.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + text
    return text


def from_formula_safe(text: str) -> str:
    """Undo `formula_safe`. A Polis file's own text starting with `'=`, `'+`, `'-`, `'@`,
    `'` + tab/CR or `''` loses its first quote: Polis does not escape, so we cannot tell."""
    if text.startswith(QUOTE) and text[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return text[1:]
    return text


def quoted(text: str) -> str:
    """A free-text field as Polis writes one: formula-safe, in quotes, quotes doubled."""
    return '"' + formula_safe(text).replace('"', '""') + '"'


def line(values: Iterable[object]) -> str:
    """One CSV line; values are already formatted (numbers) or `quoted` (texts)."""
    return ",".join("" if value is None else str(value) for value in values) + "\n"


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since 1970, as current Polis writes `timestamp` (floor of milliseconds)."""
    return int(_utc(moment).timestamp() // 1)


def polis_datetime(moment: datetime) -> str:
    """JavaScript's Date.toString() on a UTC server, as Polis writes `datetime`:
    `Tue Jun 30 2015 07:49:52 GMT+0000 (Coordinated Universal Time)`."""
    moment = _utc(moment)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} {moment.year} "
        f"{moment:%H:%M:%S} GMT+0000 (Coordinated Universal Time)"
    )


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes, which we stored as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
