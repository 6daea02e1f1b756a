"""A statement sent without JavaScript past the rate limit: the page comes back with the
text still in the box and the wait beside the form, not an error page that loses it.
Every other 429 is the app's (consult.errors)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_limiter import RateLimitExceeded

from consult.errors import too_many_requests, wait_message, wants_json
from consult.forms import form_text
from consult.participation.views import bp, conversation_page
from consult.rate_limits import retry_after
from consult.services import consultations

STATUS = 429


@bp.errorhandler(RateLimitExceeded)
def rate_limited(_error: RateLimitExceeded) -> Any:
    seconds = retry_after()
    if request.endpoint != "participation.add_statement" or wants_json():
        return too_many_requests(seconds)  # the script keeps its text itself
    conversation = consultations.get_conversation(request.view_args["conversation_id"])
    draft = form_text(request.form, "text")
    note = {"statement": {"kind": "error", "text": wait_message(seconds)}}
    page = conversation_page(conversation, draft=draft, notes=note)
    return page, STATUS, {"Retry-After": str(seconds)}
