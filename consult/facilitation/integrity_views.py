"""The facilitator's view of bursts of look-alike newcomers, to leave out of the analysis
or bring back (post-redirect-get)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from consult.facilitation.views import bp
from consult.forms import whole_number
from consult.security import current_user, login_required
from consult.services import brigading, consultations

PAGE = "/c/<conversation_id>/bursts"


@bp.get(PAGE)
@login_required
def bursts(conversation_id: str) -> str:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return render_template(
        "facilitation/bursts.html",
        conversation=conversation,
        bursts=brigading.find_bursts(conversation),
        rules=brigading,
    )


@bp.post(PAGE)
@login_required
def change_bursts(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    ids = [whole_number(raw, "participant") for raw in request.form.getlist("participant")]
    leave_out = request.form.get("action") == "exclude"
    changed = brigading.set_excluded(conversation, ids, leave_out)
    flash(
        ngettext(
            "%(num)s participant is left out of the analysis; they are kept and can be "
            "brought back.",
            "%(num)s participants are left out of the analysis; they are kept and can be "
            "brought back.",
            changed,
        )
        if leave_out
        else ngettext(
            "%(num)s participant is counted in the analysis again.",
            "%(num)s participants are counted in the analysis again.",
            changed,
        ),
        "success",
    )
    return redirect(url_for(".bursts", conversation_id=conversation.id))
