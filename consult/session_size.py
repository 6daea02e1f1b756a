"""Room in the session cookie for what a page carries to the next (a typed draft).

The session is a signed cookie, and a browser silently drops a cookie over 4,096 bytes,
taking the whole session with it: the participant the browser votes as, a facilitator's
login, the messages. Latin text compresses well, but 2,000 characters of Chinese or Arabic
come to 3–6 KB in the cookie, so text is measured as the cookie will carry it.
"""

from __future__ import annotations

from flask import current_app, session

# Bytes of the cookie's value. Browsers refuse over 4,096 for name and value together; the
# rest is room for what a page writes after the text is measured (the note that it was cut).
# Messages written before it are measured with it: the text is what gives way.
COOKIE_BUDGET = 2800
# Characters: a longer text is cut to this before it is measured, so that a megabyte typed
# is not compressed again and again (only text repeating itself would fit beyond it).
KEPT_AT_MOST = 20_000


def keep_text(key: str, text: str) -> str:
    """Put `text` in the session under `key`, cut short (from the end) if the cookie would
    pass `COOKIE_BUDGET`; what was kept."""
    text = text[:KEPT_AT_MOST]
    session[key] = text
    while text and session_cookie_size() > COOKIE_BUDGET:
        text = text[: len(text) * 3 // 4]
        session[key] = text
    return text


def keep_whole(key: str, text: str) -> bool:
    """Put `text` in the session under `key` if the cookie stays within `COOKIE_BUDGET`;
    else leave it out. Whether it was kept."""
    if len(text) <= KEPT_AT_MOST:
        session[key] = text
        if session_cookie_size() <= COOKIE_BUDGET:
            return True
    session.pop(key, None)
    return False


def session_cookie_size() -> int:
    """The length of the session cookie's value as it stands now."""
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(dict(session)))
