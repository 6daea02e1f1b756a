"""Checking and normalising text that people type."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from consult.services.errors import InvalidInput

_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def clean_text(value: object, field: str, *, max_length: int, min_length: int = 1) -> str:
    """Return `value` stripped, or raise InvalidInput naming `field`.

    Refuses what a database would choke on (NUL, lone surrogates) with a 4xx, not a 5xx.
    """
    if not isinstance(value, str):
        raise InvalidInput(_("%(field)s must be a string.", field=field), field=field)
    if len(value) > max_length:  # as sent, as the API's description counts: spaces too
        raise _too_long(field, len(value), max_length)
    text = unicodedata.normalize("NFC", value).strip()
    if "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        message = _("%(field)s contains characters that are not allowed.", field=field)
        raise InvalidInput(message, field=field)
    if len(text) < min_length:
        raise InvalidInput(_("%(field)s must not be empty.", field=field), field=field)
    if len(text) > max_length:  # NFC lengthens a few characters (U+0958 is two)
        raise _too_long(field, len(text), max_length)
    return text


def _too_long(field: str, length: int, max_length: int) -> InvalidInput:
    message = _(
        "%(field)s is %(length)s characters long; the limit is %(limit)s.",
        field=field,
        length=length,
        limit=max_length,
    )
    return InvalidInput(message, field=field)


def normalize_for_comparison(text: str) -> str:
    """Case, accents, punctuation and spacing folded away: what makes two statements 'the same'."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _PUNCTUATION_OR_SPACE.sub(" ", without_marks).strip()
