"""The report page and its PDF, for anyone when results are public, else its facilitators."""

from __future__ import annotations

from flask import Blueprint, Response, request

from consult.api.inputs import facilitator_or_none
from consult.models import User
from consult.reports.document import pdf_response, render_report, requested_report
from consult.security import current_user

bp = Blueprint("reports", __name__)
# The report's dates and numbers in the request's locale (also when no facilitator page is).


@bp.get("/c/<conversation_id>/report")
def report_page(conversation_id: str) -> str:
    report, manages = requested_report(conversation_id, _viewer(), request.args.get("statements"))
    return render_report(report, manages=manages)


@bp.get("/c/<conversation_id>/report.pdf")
def report_pdf(conversation_id: str) -> Response:
    report, _ = requested_report(conversation_id, _viewer(), request.args.get("statements"))
    return pdf_response(report)


def _viewer() -> User | None:
    """A facilitator logged in on this browser, or one whose API token the request carries."""
    return current_user() or facilitator_or_none()
