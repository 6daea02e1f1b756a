"""The moderation page: accept or reject statements one by one or together, and find them.

Plain forms (post-redirect-get), so the page works without JavaScript: each row's buttons
and the buttons under the table post the same form. The status, search and page travel in
the query string, so after an action the facilitator is back where they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from werkzeug.datastructures import MultiDict

from consult.facilitation.views import bp
from consult.forms import page_argument, page_count, whole_number
from consult.models import Conversation, ModerationStatus
from consult.security import current_user, login_required
from consult.services import consultations, moderation_queue, statements
from consult.services.errors import InvalidInput, ServiceError

PAGE = "/c/<conversation_id>/moderate"
PER_PAGE = 25
STATUS_TABS = [
    ("unmoderated", lazy_gettext("Waiting")),
    ("accepted", lazy_gettext("Accepted")),
    ("rejected", lazy_gettext("Rejected")),
    ("all", lazy_gettext("All")),
]
# What the facilitator reads after each action, for how many statements changed ("3
# statements changed: accepted."): whole sentences, so each language can make them agree.
DONE: dict[str, Callable[[int], str]] = {
    "accept": lambda n: ngettext(
        "%(num)s statement changed: accepted.", "%(num)s statements changed: accepted.", n
    ),
    "reject": lambda n: ngettext(
        "%(num)s statement changed: rejected.", "%(num)s statements changed: rejected.", n
    ),
    "unmoderate": lambda n: ngettext(
        "%(num)s statement changed: back to waiting.",
        "%(num)s statements changed: back to waiting.",
        n,
    ),
    "meta": lambda n: ngettext(
        "%(num)s statement changed: marked as meta.",
        "%(num)s statements changed: marked as meta.",
        n,
    ),
    "not_meta": lambda n: ngettext(
        "%(num)s statement changed: no longer meta.",
        "%(num)s statements changed: no longer meta.",
        n,
    ),
}


@bp.get(PAGE)
@login_required
def moderate(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    where = _where(request.args)
    status = None if where["status"] == "all" else ModerationStatus(where["status"])
    rows, total = moderation_queue.queue_page(
        conversation, status, where["page"], PER_PAGE, search=where["q"]
    )
    return render_template(
        "facilitation/moderate.html",
        conversation=conversation,
        rows=rows,
        total=total,
        pages=page_count(total, PER_PAGE),
        where=where,
        tabs=STATUS_TABS,
        status_names=moderation_queue.STATUS_NAMES,
        moderation=statements.moderation_counts(conversation),
        # The lines of a refused "Add statements", back in its box (`add_seeds`).
        seed_draft=session.pop("seed_draft", ""),
    )


@bp.post(PAGE)
@login_required
def change_moderation(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    where = _where(request.args)
    try:
        action, ids = _chosen(request.form)
        if not ids:
            raise InvalidInput(_("Select at least one statement first."))
        moved = _moved_since_shown(conversation, action, _shown_as(request.form, ids))
        ids = [i for i in ids if i not in moved]
        changed = statements.moderate(conversation, ids, action) if ids else 0
    except ServiceError as error:
        flash(error.message, "error")
    else:
        if changed:
            flash(DONE[action](changed), "success")
        if moved:
            flash(_moved_meanwhile(len(moved)), "error")
    return _back(conversation, where)


def _moved_meanwhile(n: int) -> str:
    # Another facilitator's decision made while this page was open is not undone unseen.
    return ngettext(
        "%(num)s statement was moderated by someone else since this page was drawn, so it was "
        "left as they set it: look at it again.",
        "%(num)s statements were moderated by someone else since this page was drawn, so they "
        "were left as they set them: look at them again.",
        n,
    )


def _moved_since_shown(
    conversation: Conversation, action: str, shown_as: dict[int, str]
) -> set[int]:
    """The statements someone else moderated since the page was drawn, to another status
    than this action sets (the same decision, made twice, is no conflict). The meta actions
    set no status, so no status change stops them."""
    target = statements.STATUS_SET_BY.get(action)
    if target is None:
        return set()
    now = statements.changed_since_shown(conversation, shown_as)
    return {sid for sid, status in now.items() if status != target.value}


def _shown_as(form: MultiDict[str, str], ids: list[int]) -> dict[int, str]:
    """The status each chosen statement had on the page the facilitator acted on."""
    return {i: form[f"shown_as-{i}"] for i in ids if f"shown_as-{i}" in form}


def _where(args: Mapping[str, str]) -> dict[str, Any]:
    """Which tab, search and page the facilitator is on (checked: a bad value is a 400)."""
    status = args.get("status", "unmoderated")
    if status not in {name for name, _label in STATUS_TABS}:
        raise InvalidInput(_("Unknown moderation status."))
    return {"status": status, "q": args.get("q", "").strip(), "page": page_argument(args)}


def _chosen(form: MultiDict[str, str]) -> tuple[str, list[int]]:
    """The action and the statements it applies to.

    A row's own button ("accept-12") acts on that row alone. Otherwise the bulk action
    applies to the ticked rows, or to every row shown when "select all" is ticked (which
    works without JavaScript; with it, the script ticks the rows as well).
    """
    row = form.get("row")
    if row:
        action, _dash, raw_id = row.partition("-")
        return _action(action), [_statement_id(raw_id)]
    raw_ids = form.getlist("statement_ids")
    if form.get("select_all"):
        raw_ids += form.getlist("shown_ids")
    ids = list(dict.fromkeys(_statement_id(raw) for raw in raw_ids))
    return _action(form.get("action", "")), ids


def _action(name: str) -> str:
    if name not in DONE:
        raise InvalidInput(_("Choose what to do with the statements: accept or reject."))
    return name


def _statement_id(raw: str) -> int:
    try:
        return whole_number(raw, "statement")
    except InvalidInput:
        raise InvalidInput(
            _("Some of the selected statements were not recognised: reload the page and try again.")
        ) from None


def _back(conversation: Conversation, where: dict[str, Any]) -> Any:
    """Back to the same tab, search and page (url_for leaves out the None ones)."""
    return redirect(
        url_for(
            ".moderate",
            conversation_id=conversation.id,
            status=where["status"],
            q=where["q"] or None,
            page=where["page"] if where["page"] > 1 else None,
        )
    )
