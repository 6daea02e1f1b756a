"""Checking and normalising text that people type."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from consult.services.errors import InvalidInput

# Signs that change what a statement says: "+10%" and "-10%", "C++" and "C", "< 5" and
# "> 5", "≮ 5" and "< 5", "±5" and "5", "10%" and "10‰" and "10", "€2" and "$2" (every
# currency sign: Unicode's category Sc, all below U+20000).
_COMPARISONS = "+<>±\u2264\u2265\u2266\u2267\u2a7d\u2a7e\u0338"
_PER = "%\u2030\u2031"  # per cent, per mille, per ten thousand
_CURRENCIES = "".join(ch for ch in map(chr, range(0x20000)) if unicodedata.category(ch) == "Sc")
SIGNS = frozenset("-" + _COMPARISONS + _PER + _CURRENCIES)
# A word (letters and digits) or a sign, each kept as a word of its own. A minus is a sign
# where it starts a number, not the hyphen of "COVID-19" or "well-known". Everything else
# is punctuation or space.
_WORD_OR_SIGN = re.compile(
    r"(?<!\w)-(?=\d)|[" + re.escape(_COMPARISONS + _PER + _CURRENCIES) + r"]|[^\W_]+", re.UNICODE
)
# U+0338 is the stroke of ≠ ≮ ≯ ≰ ≱ once NFKD has taken them apart: a "not", kept as a sign
# where other combining marks (accents) are dropped.
_NOT = "\u0338"
# Hyphens, dashes and the minus sign: one "-", so that "–10 %" is "-10 %".
_DASHES = str.maketrans(dict.fromkeys(map(chr, [*range(0x2010, 0x2016), 0x2212]), "-"))


def clean_text(value: object, field: str, *, max_length: int, min_length: int = 1) -> str:
    """Return `value` stripped, or raise InvalidInput naming `field`.

    Refuses what a database would choke on (NUL, lone surrogates) with a 4xx, not a 5xx.
    Other control characters and the bidi controls are taken out rather than refused:
    pasted text carries them unseen, and nobody should be turned away for what they cannot
    see (`_invisible_removed`).
    """
    if not isinstance(value, str):
        raise InvalidInput(_("%(field)s must be a string.", field=field), field=field)
    if len(value) > max_length:  # as sent, as the API's description counts: spaces too
        raise _too_long(field, len(value), max_length)
    if "\x00" in value or any(unicodedata.category(ch) == "Cs" for ch in value):
        message = _("%(field)s contains characters that are not allowed.", field=field)
        raise InvalidInput(message, field=field)
    text = _invisible_removed(unicodedata.normalize("NFC", value)).strip()
    if len(text) < min_length:
        raise InvalidInput(_("%(field)s must not be empty.", field=field), field=field)
    if len(text) > max_length:  # NFC lengthens a few characters (U+0958 is two)
        raise _too_long(field, len(text), max_length)
    return text


# Line breaks and tabs are text. A vertical tab, form feed or next-line (from a PDF or a
# word processor) is a line break.
_TEXT_CONTROLS = frozenset("\n\r\t")
_AS_LINE_BREAK = frozenset("\x0b\x0c\x85")
# Bidi embeddings, overrides and isolates reorder what follows them: "\u202eevil" shows as
# "live". The marks people use in right-to-left text (U+200E, U+200F, U+061C) stay.
_REORDERING = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def _invisible_removed(text: str) -> str:
    """Control characters (a bell shows as a box) and bidi controls taken out."""
    if text.isprintable():  # the common case, in one pass at C speed
        return text
    kept = []
    for ch in text:
        if ch in _AS_LINE_BREAK:
            kept.append("\n")
        elif ch in _TEXT_CONTROLS or not (unicodedata.category(ch) == "Cc" or ch in _REORDERING):
            kept.append(ch)
    return "".join(kept)


def _too_long(field: str, length: int, max_length: int) -> InvalidInput:
    message = _(
        "%(field)s is %(length)s characters long; the limit is %(limit)s.",
        field=field,
        length=length,
        limit=max_length,
    )
    return InvalidInput(message, field=field)


QUOTED_UP_TO = 200  # characters of a statement a message quotes; the API gives it whole


def excerpt(text: str, limit: int = QUOTED_UP_TO) -> str:
    """The text as a message quotes it: whole, or its beginning and "…". A message travels
    in the session cookie to the next page, which a statement of 2,000 characters of
    Chinese would overflow (`consult.session_size`)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def isolated(text: str) -> str:
    """Text quoted inside a message, set apart in its own direction (Unicode's first-strong
    isolate; `<bdi>` in plain text): an English statement quoted in an Arabic sentence keeps
    its full stop at its end, and the sentence's quotation marks stay where they belong."""
    return f"\u2068{text}\u2069"


def normalize_for_comparison(text: str) -> str:
    """Case, accents, punctuation and spacing folded away: what makes two statements 'the same'.

    Signs (`SIGNS`) are kept, each as a word of its own: they change what a text says.
    """
    folded = unicodedata.normalize("NFKD", text.casefold()).translate(_DASHES)
    without_marks = "".join(ch for ch in folded if ch == _NOT or not unicodedata.combining(ch))
    return " ".join(_WORD_OR_SIGN.findall(without_marks))
