"""The report as a document: which report a request asks for, its HTML, and its PDF.

The PDF is WeasyPrint rendering the report's own HTML with the print stylesheet: the text
stays text (selectable, searchable) and the charts stay vector (server-side SVG).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from consult.locale_format import LONG_DAY, minute
from consult.models import User, utcnow
from consult.reports import charts
from consult.services import moderation_queue, report_sentences
from consult.services.consultations import can_manage
from consult.services.errors import NotFound
from consult.services.report import (
    Report,
    analysed_votes_sha256,
    build_report,
    readable_conversation,
    replay_commands,
    statement_filter,
)

STYLESHEETS = ("css/consult.css", "css/report.css", "css/outcome.css")
# The words for the stored codes the report shows: an analysis's kind, the division's
# strength (a statement's moderation status: moderation_queue.STATUS_NAMES).
KINDS = {"cold": lazy_gettext("cold"), "warm": lazy_gettext("warm")}
STRENGTHS = {
    "none": lazy_gettext("none"),
    "weak": lazy_gettext("weak"),
    "clear": lazy_gettext("clear"),
    "spectrum": lazy_gettext("spectrum"),
}


def requested_report(
    conversation_id: object, user: User | None, raw_filter: object
) -> tuple[Report, bool]:
    """The report `user` may read (NotFound if none), with the statements they asked for,
    and whether they run the consultation."""
    conversation = readable_conversation(conversation_id, user)
    manages = can_manage(user, conversation)
    chosen = statement_filter(raw_filter, may_see_rejected=manages)
    return build_report(conversation, chosen), manages


def render_report(report: Report, *, manages: bool, for_print: bool = False) -> str:
    template = "reports/print.html" if for_print else "reports/report.html"
    return render_template(template, **_context(report, manages=manages, for_print=for_print))


def render_who_took_part(report: Report) -> str:
    """The report's "Who took part" section alone, for the facilitator's live page."""
    return render_template(
        "reports/_who_took_part_alone.html",
        **_context(report, manages=True, for_print=False),
        labels=report.labels,
    )


def pdf_response(report: Report) -> Response:
    """The report as a PDF download; NotFound while there is no analysis to cite."""
    if not report.ready:
        raise NotFound(_("The report is not ready yet: this consultation has not been analysed."))
    html = render_report(report, manages=False, for_print=True)
    static = Path(current_app.static_folder or "")
    pdf = HTML(string=html, url_fetcher=_NOTHING_FETCHED).write_pdf(
        stylesheets=[CSS(filename=str(static / name)) for name in STYLESHEETS] + [_footer()]
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="consult-{report.conversation.id}-report.pdf"'
            )
        },
    )


def _footer() -> CSS:
    """The PDF's running footer in the request's language (report.css holds the English)."""
    marker = "\x00"  # around the counters' names, to find them in the translation
    counters = {name: marker + name + marker for name in ("page", "pages")}
    page = _("Page %(page)s of %(pages)s", **counters)
    # Text and counters alternate: "Page " counter(page) " of " counter(pages).
    parts = page.split(marker)
    numbering = " ".join(
        f"counter({part})" if i % 2 else _css_string(part) for i, part in enumerate(parts)
    )
    title = _css_string(_("Consult report"))
    return CSS(
        string=f"@page {{ @bottom-center {{ content: {numbering}; }}"
        f" @bottom-left {{ content: {title}; }} }}"
    )


def _css_string(text: str) -> str:
    """`text` as a CSS string literal (a translation may hold quotes or backslashes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


class _RefuseEverything(URLFetcher):
    """The report's HTML is whole: nothing (no statement's text either) makes the renderer
    fetch a URL."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        raise ValueError(f"the report fetches nothing ({url[:80]})")


_NOTHING_FETCHED = _RefuseEverything()


def _context(report: Report, *, manages: bool, for_print: bool) -> dict[str, Any]:
    analysis = report.analysis
    return {
        "report": report,
        "conversation": report.conversation,
        "manages": manages,
        "for_print": for_print,
        "charts": charts,
        "say": report_sentences,
        "kinds": KINDS,
        "strengths": STRENGTHS,
        "status_names": moderation_queue.STATUS_NAMES,
        "when": when,
        "generated_at": utcnow(),
        "votes_sha256": analysed_votes_sha256(analysis) if analysis else "",
        "replay": replay_commands(report.conversation, analysis) if analysis else [],
    }


def when(moment: datetime | None) -> str:
    """A time as people read it in the request's language, in UTC: "2 December 2026, 09:05 UTC"."""
    if moment is None:
        return _("unknown")
    return minute(moment, LONG_DAY) + " UTC"
