"""Closing and reopening a consultation: an explicit action, confirmed on its own page.

Not a box in the settings form, where saving the texts with the box unticked closed a
consultation by accident. The confirmation is a plain page and form (no JavaScript dialog),
so it works everywhere; the API keeps its `is_open` setting.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext

from consult.facilitation.views import bp
from consult.models import Conversation
from consult.security import current_user, login_required
from consult.services import consultations

PAGE = "/c/<conversation_id>/<any(close, reopen):change>"
# change -> (is_open afterwards, what the facilitator reads once it is done)
CHANGES = {
    "close": (
        False,
        lazy_gettext("The consultation is closed: nobody can vote or add statements now."),
    ),
    "reopen": (
        True,
        lazy_gettext("The consultation is open again: participants can vote and add statements."),
    ),
}


@bp.get(PAGE)
@login_required
def confirm_opening(conversation_id: str, change: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    if _already(conversation, change):
        return _back(conversation)
    return render_template("facilitation/opening.html", conversation=conversation, change=change)


@bp.post(PAGE)
@login_required
def change_opening(conversation_id: str, change: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    if not _already(conversation, change):  # sent twice: the first one did it
        is_open, done = CHANGES[change]
        consultations.update_conversation(conversation, settings={"is_open": is_open})
        flash(str(done), "success")
    return _back(conversation)


def _already(conversation: Conversation, change: str) -> bool:
    return conversation.is_open == CHANGES[change][0]


def _back(conversation: Conversation) -> Any:
    return redirect(url_for(".manage", conversation_id=conversation.id) + "#opening")
