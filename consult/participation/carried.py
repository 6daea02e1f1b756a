"""What a page without JavaScript carries to the next one in the session: the citizen's own
text (the draft) and the statements offered as similar to it.

The session is a cookie of limited size (`consult.session_size`): the offers travel as ids,
their texts read again for the page, and a draft too long for the cookie keeps its
beginning, and the citizen is told.
"""

from __future__ import annotations

from typing import Any

from flask import session
from flask_babel import gettext as _

from consult.models import Conversation
from consult.services import statements
from consult.services.consultations import MAX_STATEMENT_LENGTH_SETTING
from consult.session_size import keep_text


def keep_draft(text: str) -> bool:
    """Carry the draft to the next page; False if only its beginning is kept (past the
    longest statement any consultation takes, or past the cookie's room)."""
    return keep_text("draft", text[:MAX_STATEMENT_LENGTH_SETTING]) == text


def shortened_notice() -> str:
    return _("Your text was too long to keep here in full: only its beginning is in the box.")


def offer_again(statement_ids: list[int]) -> None:
    """Remember which statements were offered as similar (ids only; at most a few)."""
    offered = [i for i in statement_ids if isinstance(i, int)]
    session["similar"] = offered[: statements.MAX_SIMILAR_OFFERED]


def take_offers(conversation: Conversation) -> list[dict[str, Any]] | None:
    """The statements offered as similar, as the page shows them (those still visible), and
    forget them; None when nothing was offered."""
    offered = session.pop("similar", None)
    if offered is None:
        return None
    # Sessions from before offers travelled as ids hold {"id", "text"} dicts.
    ids = [o.get("id") if isinstance(o, dict) else o for o in offered]
    return statements.offered_again(conversation, [i for i in ids if isinstance(i, int)])
