"""Web addresses in a facilitator's text made into links (the `linked` template filter).

An official's outcome points readers to the decision it reports ("see the council's
minutes at https://…"); written as plain text, the address could only be copied by hand,
on a phone hardly at all. Only http and https addresses become links, everything else is
escaped as any text is, and the links say they are not the site's own (`rel`).
"""

from __future__ import annotations

import re

from flask import Flask
from markupsafe import Markup, escape

# An address runs to the next space or character that cannot be in one unescaped, or to
# the punctuation of Chinese and Japanese (U+3000–303F) and full-width forms (U+FF00–FFEF):
# those scripts put no space after an address.
ADDRESS = re.compile(r"https?://[^\s<>\"'`{}|\\^\u3000-\u303f\uff00-\uffef]+", re.IGNORECASE)
# Punctuation right after an address belongs to the sentence, not to the address: stops,
# commas (the Arabic one too) and closing quotation marks.
TRAILING = ".,;:!?…،؛”’»›"
# A closing bracket stays when the address opened one itself, as Wikipedia's do.
BRACKETS = {")": "(", "]": "["}


def linked(text: object) -> Markup:
    """The text, escaped, with each http(s) address as a link to itself."""
    plain = "" if text is None else str(text)
    parts: list[str] = []
    written = 0
    for found in ADDRESS.finditer(plain):
        address = _without_trailing_punctuation(found.group())
        if "://" not in address.rstrip("/:"):  # nothing left after the scheme
            continue
        parts.append(escape(plain[written : found.start()]))
        parts.append(
            Markup('<a href="{0}" rel="nofollow noopener noreferrer" dir="ltr">{0}</a>').format(
                address
            )
        )
        written = found.start() + len(address)
    parts.append(escape(plain[written:]))
    return Markup("").join(parts)


def _without_trailing_punctuation(address: str) -> str:
    """The address without the full stop, comma, quotation mark or closing bracket that
    ends its sentence."""
    while address:
        last = address[-1]
        opening = BRACKETS.get(last)
        if last in TRAILING or (opening and address.count(opening) < address.count(last)):
            address = address[:-1]
            continue
        break
    return address


def register(app: Flask) -> None:
    app.jinja_env.filters["linked"] = linked
