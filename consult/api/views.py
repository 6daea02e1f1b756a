"""API routes: thin wrappers that check the request's shape and call the services."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context

from consult.api.inputs import (
    bearer_token,
    facilitator,
    facilitator_or_none,
    json_object,
    only_fields,
)
from consult.api.serializers import (
    analysis_json,
    conversation_json,
    invitation_json,
    statement_json,
)
from consult.forms import page_argument
from consult.links import external_url
from consult.models import SETTINGS, ModerationStatus
from consult.reports.document import pdf_response, requested_report
from consult.security import app_secret, current_user, request_address_hash
from consult.services import consultations, participants, routing, segments, statements, votes
from consult.services.analyses import require_latest_analysis
from consult.services.errors import ConsultationClosed, InvalidInput
from consult.services.exports import ZIP_FILE, ConversationExport

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 200
# 10,000 xids of up to 255 characters do not fit in the usual 64 KiB body limit.
MAX_INVITATIONS_BODY = 4 * 1024 * 1024
MAX_CONVERSATION_BODY = 4 * 1024 * 1024


@bp.get("/openapi.json")
def openapi() -> Response:
    spec = files("consult.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return current_app.response_class(spec, mimetype="application/json")


@bp.post("/conversations")
def create_conversation() -> Any:
    user = facilitator()
    # Room for the most a valid body holds (500 seeds of 2,000 characters), so that too many
    # seeds is the 400 that says so, not a 413 about bytes.
    request.max_content_length = MAX_CONVERSATION_BODY
    body = json_object()
    only_fields(body, {"topic", "question", "description", "seed_statements", *SETTINGS})
    seeds = body.get("seed_statements", [])
    if not isinstance(seeds, list):
        raise InvalidInput("seed_statements must be a list of strings.", field="seed_statements")
    conversation = consultations.create_conversation(
        user,
        body.get("topic"),
        question=body.get("question", ""),
        description=body.get("description", ""),
        seed_statements=seeds,
        settings={name: body[name] for name in SETTINGS if name in body},
    )
    return conversation_json(conversation), 201


@bp.get("/conversations")
def list_conversations() -> Any:
    managed = consultations.conversations_managed_by(facilitator())
    counts = consultations.counts_by_conversation(managed)  # one query for them all
    return {"conversations": [conversation_json(c, counts[c.id]) for c in managed]}


@bp.get("/conversations/<conversation_id>")
def get_conversation(conversation_id: str) -> Any:
    return conversation_json(consultations.get_conversation(conversation_id))


@bp.patch("/conversations/<conversation_id>")
def update_conversation(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"topic", "question", "description", *SETTINGS})
    consultations.update_conversation(
        conversation,
        texts={name: body[name] for name in ("topic", "question", "description") if name in body},
        settings={name: body[name] for name in SETTINGS if name in body},
    )
    return conversation_json(conversation)


@bp.post("/conversations/<conversation_id>/participants")
def join(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    body = json_object(required=False)
    only_fields(body, {"xid", "xid_signature", "segment"})
    segment = None
    if body.get("segment") is not None:
        # A program sends what it was given: an unknown code is refused, not silently dropped.
        segment = segments.segment_by_code(conversation, body["segment"])
        if segment is None:
            raise InvalidInput("This consultation has no segment with this code.", field="segment")
    xid_hash = None
    if body.get("xid") is not None:
        xid_hash = participants.verified_xid_hash(
            conversation, body["xid"], body.get("xid_signature"), app_secret()
        )
    elif body.get("xid_signature") is not None:
        raise InvalidInput("xid_signature goes with an xid.", field="xid_signature")
    participant, token, created = participants.join(
        conversation,
        xid_hash,
        address_hash=request_address_hash(conversation.id),
        segment=segment,
    )
    return {"participant_id": participant.id, "token": token}, 201 if created else 200


@bp.post("/conversations/<conversation_id>/invitations")
def invitations(conversation_id: str) -> Any:
    """Personal links for a list of xids; nothing is stored."""
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    request.max_content_length = MAX_INVITATIONS_BODY
    body = json_object()
    only_fields(body, {"xids"})
    signed = participants.invitations(conversation, body.get("xids"), app_secret())
    return {"links": [invitation_json(conversation, xid, signature) for xid, signature in signed]}


@bp.get("/conversations/<conversation_id>/next")
def next_statement(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    if not conversation.is_open:
        raise ConsultationClosed("This consultation is closed and takes no more votes.")
    statement, remaining = routing.next_statement(conversation, participant)
    if statement is None:
        return "", 204
    return statement_json(statement, remaining=remaining)


@bp.post("/conversations/<conversation_id>/votes")
def vote(conversation_id: str) -> Any:
    # The vote is written first and checked in the same statement (services/votes): a
    # valid vote costs one round trip. Input errors still come after 404, 401 and 403.
    token = bearer_token()
    try:
        statement_id, value, request_key = _vote_request()
    except InvalidInput:
        participants.participant_for_token(consultations.get_conversation(conversation_id), token)
        raise
    receipt = votes.cast_vote_by_token(
        conversation_id, token, statement_id, value, request_key=request_key
    )
    answer = {"statement_id": receipt.statement_id, "vote": receipt.value}
    headers = {"Idempotent-Replayed": "true"} if receipt.replayed else {}
    return {**answer, "participant_id": receipt.participant_id}, 201, headers


def _vote_request() -> tuple[object, int, str | None]:
    """(statement id, vote, Idempotency-Key) from a vote request, checked for shape."""
    body = json_object()
    only_fields(body, {"statement_id", "vote"})
    if "statement_id" not in body or "vote" not in body:
        raise InvalidInput("statement_id and vote are both needed.")
    request_key = votes.parse_request_key(request.headers.get("Idempotency-Key"))
    return body["statement_id"], votes.parse_vote(body["vote"]), request_key


@bp.post("/conversations/<conversation_id>/statements")
def submit_statement(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    body = json_object()
    only_fields(body, {"text", "add_anyway"})
    add_anyway = body.get("add_anyway", False)
    if not isinstance(add_anyway, bool):
        raise InvalidInput("add_anyway must be true or false.", field="add_anyway")
    statement = statements.submit_statement(
        conversation, participant, body.get("text"), add_anyway=add_anyway
    )
    g.statement_added = True  # counted by the per-participant statement limit
    visible = statements.is_visible(conversation, statement)
    return statement_json(statement), 201 if visible else 202


@bp.get("/conversations/<conversation_id>/statements")
def list_statements(conversation_id: str) -> Any:
    """Statements participants can see; a facilitator's token shows every status."""
    conversation = consultations.get_conversation(conversation_id)
    page, per_page = _page_arguments()
    status = request.args.get("status")
    if bearer_token() is not None and status is not None:
        conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
        rows, total = statements.statements_for_moderation(
            conversation, _moderation_status(status), page, per_page
        )
    else:
        rows, total = statements.visible_statements(conversation, page, per_page)
    return {"statements": [statement_json(s) for s in rows], "total": total, "page": page}


@bp.post("/conversations/<conversation_id>/moderation")
def moderate(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"statement_ids", "action"})
    ids = body.get("statement_ids")
    if not isinstance(ids, list):
        raise InvalidInput("statement_ids must be a list of statement ids.", field="statement_ids")
    changed = statements.moderate(conversation, ids, body.get("action"))
    return {"changed": changed}


@bp.get("/conversations/<conversation_id>/analysis")
def analysis(conversation_id: str) -> Any:
    """The latest analysis: anyone's when results are public, else facilitators' only."""
    conversation = consultations.get_conversation(conversation_id)
    if not conversation.results_public:
        conversation = consultations.get_managed_conversation(
            facilitator_or_none(), conversation_id
        )
    return jsonify(analysis_json(require_latest_analysis(conversation)))


@bp.get("/conversations/<conversation_id>/report.pdf")
def report_pdf(conversation_id: str) -> Any:
    """The report as a PDF: anyone's when results are public, else facilitators' only."""
    report, _ = requested_report(
        conversation_id, facilitator_or_none(), request.args.get("statements")
    )
    return pdf_response(report)


@bp.get("/conversations/<conversation_id>/export/<name>")
def export_file(conversation_id: str, name: str) -> Response:
    """An open data file or export.zip, streamed; whom it is for as for the analysis."""
    conversation = consultations.get_conversation(conversation_id)
    if not conversation.results_public:
        conversation = consultations.get_managed_conversation(
            facilitator_or_none() or current_user(), conversation_id
        )
    url = external_url("participation.conversation", conversation_id=conversation.id)
    export = ConversationExport(conversation, url=url)
    if name == ZIP_FILE:
        chunks, mimetype = export.zip_chunks(), "application/zip"
    else:
        chunks = export.file(name)  # NotFound for an unknown name, before anything is sent
        # Flask adds "; charset=utf-8" to text/csv itself (twice if given here).
        mimetype = "application/json" if name.endswith(".json") else "text/csv"
    response = current_app.response_class(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{conversation.id}-{name}"'
    return response


def _page_arguments() -> tuple[int, int]:
    page = page_argument(request.args)
    per_page = min(page_argument(request.args, "per_page", 50), MAX_PER_PAGE)
    return page, per_page


def _moderation_status(raw: str) -> ModerationStatus | None:
    if raw == "all":
        return None
    try:
        return ModerationStatus(raw)
    except ValueError:
        raise InvalidInput(
            "status must be one of all, unmoderated, accepted, rejected.", field="status"
        ) from None
