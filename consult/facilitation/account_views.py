"""The facilitator's account page: where they are logged in, and their API tokens.

A new token is shown once, in the answer to the form that made it (never stored in the
cookie, never cached); everything else posts and redirects back (post-redirect-get).
"""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from consult.facilitation.views import bp
from consult.security import current_login_key, current_user, login_required
from consult.services import api_tokens, login_sessions
from consult.services.errors import InvalidInput, ServiceError

TOKEN_DAYS = (30, 90, 365)


@bp.get("/account")
@login_required
def account() -> Any:
    return _page()


@bp.post("/account/tokens")
@login_required
def create_token() -> Any:
    try:
        days = _token_days(request.form.get("days", ""))
        token = api_tokens.issue(current_user(), name=request.form.get("name", ""), days=days)
    except ServiceError as error:
        flash(error.message, "error")
        return _page(status=400)
    response = _page(new_token=token)
    response.headers["Cache-Control"] = "no-store"  # the page holds a secret, shown once
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    try:
        api_tokens.revoke(current_user(), token_id)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("The token is revoked: it no longer opens the API."), "success")
    return redirect(url_for(".account") + "#tokens")


@bp.post("/account/logins/end-others")
@login_required
def end_other_logins() -> Any:
    ended = login_sessions.end_others(current_user(), current_login_key() or "")
    flash(
        ngettext(
            "Logged out of %(num)s other browser.", "Logged out of %(num)s other browsers.", ended
        )
        if ended
        else _("You were not logged in anywhere else."),
        "success",
    )
    return redirect(url_for(".account") + "#logins")


def _page(*, new_token: str | None = None, status: int = 200) -> Any:
    user = current_user()
    body = render_template(
        "facilitation/account.html",
        user=user,
        logins=login_sessions.live_for(user, current_login_key()),
        tokens=api_tokens.live_for(user),
        new_token=new_token,
        token_days=TOKEN_DAYS,
        default_days=api_tokens.DEFAULT_DAYS,
        name=request.form.get("name", "") if status == 400 else "",
    )
    return make_response(body, status)


def _token_days(raw: str) -> int:
    if raw.strip() not in {str(days) for days in TOKEN_DAYS}:
        raise InvalidInput(_("Choose how long the token lasts."), field="days")
    return int(raw)
