"""A form sent with a session that has expired (the CSRF check failed): say what happened
and what to do, in words for people, and keep what the person wrote.

CSRF tokens have no time limit (config), so the check fails when the session cookie is
gone: it expired, or the browser cleared it. Nothing was stored; sending again works with
the page's new token.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from consult.errors import json_error, wants_json
from consult.forms import form_text
from consult.participation.views import bp, conversation_page
from consult.services import consultations
from consult.services.errors import ServiceError

EXPIRED = "session_expired"
STATUS = 400


@bp.errorhandler(CSRFError)
def session_expired(_error: CSRFError) -> Any:
    if wants_json():
        # The page's script sends it again with this new token, once.
        return json_error(
            STATUS,
            EXPIRED,
            _("Your session had expired, so this was not sent. Please send it again."),
            csrf_token=generate_csrf(),
        )
    try:
        conversation = consultations.get_conversation(request.view_args["conversation_id"])
    except (KeyError, TypeError, ServiceError):
        conversation = None
    if conversation is None or request.endpoint not in _ANSWERED_ON_THE_PAGE:
        message = _(
            "Your session had expired, so nothing was changed. "
            "Go back, reload the page and try again."
        )
        return render_template("error.html", status=STATUS, message=message), STATUS
    if request.endpoint == "participation.add_statement":
        draft = form_text(request.form, "text")
        message = _(
            "Your session had expired, so your statement was not sent. It is kept below: "
            "press “Add statement” again."
        )
        note = {"statement": {"kind": "error", "text": message}}
        return conversation_page(conversation, draft=draft, notes=note), STATUS
    message = _("Your session had expired, so your vote was not recorded. Please vote again.")
    note = {"vote": {"kind": "error", "text": message}}
    return conversation_page(conversation, notes=note), STATUS


_ANSWERED_ON_THE_PAGE = {"participation.add_statement", "participation.vote"}
