"""Facilitation pages: plain forms, post-redirect-get, each change through a service."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from werkzeug.datastructures import MultiDict

from consult.api.serializers import personal_link
from consult.extensions import db
from consult.forms import form_checkbox, form_text, whole_number
from consult.models import DEFAULT_STATEMENT_MAX_LENGTH, SETTINGS, Conversation, Segment
from consult.reports.document import render_who_took_part
from consult.security import app_secret, current_user, login, login_required, logout
from consult.services import (
    consultations,
    live_view,
    participants,
    segments,
    statements,
    users,
)
from consult.services.consultations import MAX_STATEMENT_LENGTH_SETTING
from consult.services.errors import InvalidInput, ServiceError
from consult.services.report import build_report
from consult.services.text import excerpt, isolated
from consult.session_size import keep_whole

bp = Blueprint("facilitation", __name__, url_prefix="/facilitate")
# The dates and numbers of these pages and the report, in the request's locale.

# The labels of the consultation form's boxes: the services word their refusals with the
# API's field names ("topic must not be empty."), which a facilitator never sees.
FORM_LABELS = {
    "topic": lazy_gettext("Title"),
    "question": lazy_gettext("Question"),
    "description": lazy_gettext("Description"),
    "statement_max_length": lazy_gettext("Longest statement, in characters"),
    "analysis_profile": lazy_gettext("How opinion groups are found"),
}


def form_message(error: ServiceError) -> str:
    """The refusal with the box's label for the field's name: "“Title” must not be empty."."""
    field = error.details.get("field")
    label = FORM_LABELS.get(field) if isinstance(field, str) else None
    return error.message.replace(field, f"“{label}”", 1) if label else error.message


# The settings form's boxes. Not is_open: closing is its own confirmed action
# (opening_views), and a new consultation asks for it apart from the settings.
_BOOLEAN_SETTINGS = [
    name
    for name in SETTINGS
    if name
    not in {
        "statement_max_length",
        "analysis_profile",
        "embed_origins",
        "is_open",
        "questions_after_votes",  # on the questions page (question_views)
    }
]


# Everything the settings form edits, beside the texts.
_FORM_SETTINGS = [*_BOOLEAN_SETTINGS, "statement_max_length", "analysis_profile", "embed_origins"]


@bp.route("/login", methods=["GET", "POST"])
def login_page() -> Any:
    if request.method == "POST":
        try:
            user = users.authenticate(
                request.form.get("email", ""), request.form.get("password", "")
            )
        except ServiceError as error:
            flash(error.message, "error")
            return render_template(
                "facilitation/login.html", email=request.form.get("email", "")
            ), 401
        login(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("facilitation/login.html", email="")


@bp.post("/logout")
def logout_page() -> Any:
    logout()
    flash(_("You are logged out."), "success")
    return redirect(url_for(".login_page"))


@bp.get("/")
@login_required
def dashboard() -> str:
    conversations = consultations.conversations_managed_by(current_user())
    return render_template(
        "facilitation/dashboard.html",
        conversations=conversations,
        counts=consultations.counts_by_conversation(conversations),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_conversation() -> Any:
    if request.method == "POST":
        try:
            conversation = consultations.create_conversation(
                current_user(),
                request.form.get("topic", ""),
                question=request.form.get("question", ""),
                description=form_text(request.form, "description"),
                seed_statements=lines(request.form.get("seed_statements", "")),
                settings={**_form_settings(), "is_open": form_checkbox(request.form, "is_open")},
            )
        except ServiceError as error:
            flash(form_message(error), "error")
            return render_template("facilitation/new.html", form=request.form), error.status
        flash(_("The consultation is created. Share its link with participants."), "success")
        return redirect(url_for(".manage", conversation_id=conversation.id))
    new_form = {"allow_statements": "on", "statement_max_length": DEFAULT_STATEMENT_MAX_LENGTH}
    return render_template("facilitation/new.html", form=new_form)


@bp.route("/c/<conversation_id>", methods=["GET", "POST"])
@login_required
def manage(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    if request.method == "POST":
        drawn_from = request.form.get("edited_from")
        # Locked until saved: two saves at the same moment are checked one after the other.
        db.session.refresh(conversation, with_for_update=True)
        saved = consultations.edit_fingerprint(conversation, _FORM_SETTINGS)
        if drawn_from and drawn_from != saved:
            # Saving this form would silently undo what another facilitator saved meanwhile.
            flash(EDITED_MEANWHILE, "error")
            return _manage_page(conversation), 409
        try:
            consultations.update_conversation(
                conversation,
                texts={k: form_text(request.form, k) for k in ("topic", "question", "description")},
                settings=_form_settings(),
            )
        except ServiceError as error:
            # Refused: the page again, with the reason and what was typed, and a 4xx.
            db.session.rollback()
            flash(form_message(error), "error")
            return _manage_page(conversation, typed=request.form), error.status
        flash(_("Settings saved."), "success")
        return redirect(url_for(".manage", conversation_id=conversation.id))
    return _manage_page(conversation)


EDITED_MEANWHILE = lazy_gettext(
    "Someone else saved this consultation's settings while you had this page open, so yours "
    "were not saved. The form now shows what is saved; make your changes again."
)


def _manage_page(conversation: Conversation, typed: MultiDict | None = None) -> str:
    """The consultation's page; its form shows `typed` (a refused form) or what is saved."""
    return render_template(
        "facilitation/manage.html",
        conversation=conversation,
        texts=typed or conversation,
        values=typed or conversation.settings(),
        # What the form was drawn from: a refused form keeps the state it was first drawn from.
        edited_from=(typed or {}).get("edited_from")
        or consultations.edit_fingerprint(conversation, _FORM_SETTINGS),
        counts=consultations.counts(conversation),
        moderation=statements.moderation_counts(conversation),
        segments=segments.segments_of(conversation),
    )


@bp.get("/c/<conversation_id>/live")
@login_required
def live(conversation_id: str) -> str:
    """The facilitator's live page: the opinion map and groups, updating as votes arrive."""
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    # Who took part comes from the report's analysis (cold, with its suppression), drawn
    # once per page load: answers and targets change slowly, and the counts need care.
    report = build_report(conversation, "visible", with_history=False)
    return render_template(
        "facilitation/live.html",
        conversation=conversation,
        report=report,
        who_took_part=render_who_took_part(report) if report.ready else None,
    )


@bp.get("/c/<conversation_id>/present")
@login_required
def present(conversation_id: str) -> str:
    """A full-screen view for a room: map, groups and consensus, no controls, no names."""
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return render_template("facilitation/present.html", conversation=conversation)


@bp.get("/c/<conversation_id>/live.json")
@login_required
def live_data(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    return live_view.picture(conversation, with_history=True)


@bp.post("/c/<conversation_id>/share")
@login_required
def share(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    try:
        other = users.get_user_by_email(request.form.get("email", ""))
        consultations.share_conversation(conversation, current_user(), other)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("%(email)s can now run this consultation with you.", email=other.email), "success")
    return redirect(url_for(".manage", conversation_id=conversation.id))


@bp.post("/c/<conversation_id>/links")
@login_required
def personal_links(conversation_id: str) -> Any:
    """A CSV `xid,url` of personal links for the ids typed or uploaded; nothing is stored."""
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    try:
        xids = lines(request.form.get("xids", "")) + lines(_uploaded_text("xids_file"))
        signed = participants.invitations(conversation, xids, app_secret())
        segment = _chosen_segment(conversation)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".manage", conversation_id=conversation.id) + "#links")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["xid", "url"])
    writer.writerows([xid, personal_link(conversation, xid, sig, segment)] for xid, sig in signed)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="personal-links-{conversation.id}.csv"',
            "Cache-Control": "no-store",  # the file lists people's ids
        },
    )


@bp.post("/c/<conversation_id>/seed")
@login_required
def add_seeds(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(current_user(), conversation_id)
    typed = request.form.get("seed_statements", "")
    try:
        added = statements.seed(conversation, lines(typed))
    except ServiceError as error:
        flash(_seed_refusal(error, typed), "error")
        if not keep_whole("seed_draft", typed):
            flash(_("The box was too long to keep until the next page: paste it again."), "error")
    else:
        flash(ngettext("%(num)s statement added.", "%(num)s statements added.", added), "success")
    return redirect(url_for(".moderate", conversation_id=conversation.id))


def _seed_refusal(error: ServiceError, typed: str) -> str:
    """The refusal of a line of the box, named by its line number in the box (blank lines
    count there, not in the list the service saw)."""
    line_of = [n for n, text in enumerate(typed.splitlines(), start=1) if text.strip()]
    if error.place is None or error.place >= len(line_of):
        return error.message
    line = line_of[error.place]
    first = (error.details.get("existing") or {}).get("seed_index")
    if first is not None:  # it repeats an earlier line of the same box
        return _(
            "Line %(line)s repeats line %(first)s: “%(text)s”",
            line=line,
            first=line_of[first],
            text=isolated(excerpt(error.details["existing"]["text"])),
        )
    return _("Line %(line)s: %(message)s", line=line, message=error.message)


def _chosen_segment(conversation: Conversation) -> Segment | None:
    """The segment the personal-links form names, if any ("" is none)."""
    chosen = request.form.get("segment", "")
    if not chosen:
        return None
    if not chosen.isascii() or not chosen.isdigit() or len(chosen) > 16:
        raise InvalidInput(_("Choose one of the segments in the list."), field="segment")
    return segments.get_segment(conversation, int(chosen))


def _form_settings() -> dict[str, object]:
    settings: dict[str, object] = {
        name: form_checkbox(request.form, name) for name in _BOOLEAN_SETTINGS
    }
    settings["statement_max_length"] = whole_number(
        request.form.get("statement_max_length", str(DEFAULT_STATEMENT_MAX_LENGTH)),
        "statement_max_length",
        high=MAX_STATEMENT_LENGTH_SETTING,
    )
    settings["analysis_profile"] = request.form.get("analysis_profile", "consult")
    settings["embed_origins"] = lines(request.form.get("embed_origins", ""))
    return settings


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _uploaded_text(field: str) -> str:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return ""
    try:
        return upload.read().decode("utf-8-sig")  # spreadsheets often save UTF-8 with a BOM
    except UnicodeDecodeError:
        raise InvalidInput(_("The file must be plain text in UTF-8, one id per line.")) from None


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login (no open redirects)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for(".dashboard")
