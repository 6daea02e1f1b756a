"""Participation pages. Plain forms with post-redirect-get; the same routes answer JSON to
static/js/participate.js so that, where JavaScript runs, nothing reloads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict

from consult.errors import json_error, wants_json
from consult.forms import form_text, form_vote, page_argument, page_count, whole_number
from consult.models import Conversation, Participant, Segment, Statement
from consult.participation import carried
from consult.participation.messages import statement_refusal
from consult.security import app_secret, request_address_hash
from consult.services import (
    analyses,
    analysis_view,
    consultations,
    live_view,
    outcomes,
    participants,
    questions,
    routing,
    segments,
    statements,
    vote_history,
    votes,
)
from consult.services.errors import (
    IdempotencyKeyReused,
    NotFound,
    ServiceError,
    SimilarStatement,
    StatementWithdrawn,
)

bp = Blueprint("participation", __name__)

STATEMENT_FORM = "#add-statement"  # the fragment a statement's answer returns to
# The fragment a vote or the questions return to: the next statement, focused (a keyboard
# would otherwise start again at the top of the page).
NEXT_STATEMENT = "#statement-text"
QUESTIONS = "#questions-heading"
# Lazy: translated when used, in the language of the request that uses it.
VOTE_LABELS = {1: lazy_gettext("Agree"), -1: lazy_gettext("Disagree"), 0: lazy_gettext("Pass")}
VOTES_PER_PAGE = 50  # "Your votes" a page at a time: thousands would be thousands of pixels


@bp.get("/")
def index() -> str:
    demo = consultations.find_conversation("demo")
    return render_template("participation/index.html", demo=demo)


@bp.get("/c/<conversation_id>")
def conversation(conversation_id: str) -> str:
    conversation = consultations.get_conversation(conversation_id)
    link_refused = not _remember_xid(conversation)
    # A personal link may name a segment (`s`); an unknown code is ignored, since the
    # personal link itself is valid and the segment is only a label (see README, Segments).
    segment = segments.segment_by_code(conversation, request.args.get("s"))
    if segment is not None:
        _remember_segment(conversation, segment)
    return conversation_page(
        conversation,
        draft=session.pop("draft", ""),
        notes=session.pop("notes", {}),
        link_refused=link_refused,
    )


@bp.get("/c/<conversation_id>/s/<code>")
def segment_link(conversation_id: str, code: str) -> Any:
    """A segment's shared link: remember the segment, then the voting page.

    It opens nothing by itself: an invitation-only consultation still needs a personal link.
    """
    conversation = consultations.get_conversation(conversation_id)
    segment = segments.segment_by_code(conversation, code)
    if segment is None:
        raise NotFound(_("This link is not (or no longer) one of this consultation's links."))
    _remember_segment(conversation, segment)
    return redirect(url_for(".conversation", conversation_id=conversation.id))


def conversation_page(
    conversation: Conversation,
    *,
    draft: str = "",
    notes: dict[str, dict[str, str]] | None = None,
    link_refused: bool = False,
) -> str:
    """The consultation's page: the next statement to vote on and the statement form, with
    `draft` in the form and `notes` (messages by place: "vote", "statement") beside them."""
    participant = participant_of_this_browser(conversation)
    statement, remaining = routing.next_statement(conversation, participant)
    return render_template(
        "participation/conversation.html",
        conversation=conversation,
        statement=statement,
        remaining=remaining,
        voted=vote_history.vote_count(conversation, participant) if participant else 0,
        questions_form=questions_form(conversation, participant),
        may_take_part=_may_take_part(conversation),
        link_refused=link_refused,
        draft=draft,
        # None: nothing was offered; a list, maybe emptied by votes: "Add mine anyway" stays.
        similar=carried.take_offers(conversation),
        notes=notes or {},
        outcome=outcomes.published_view(conversation),
    )


@bp.post("/c/<conversation_id>/vote")
def vote(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    statement_id = whole_number(request.form.get("statement_id", ""), "statement_id")
    value = form_vote(request.form)
    back_to_votes = request.form.get("return_to") == "votes"
    list_page = page_argument(request.form) if back_to_votes else 1  # checked before voting
    participant = participant_of_this_browser(conversation, create=True)
    request_key = votes.parse_request_key(request.form.get("request_key"))
    try:
        try:
            votes.cast_vote(conversation, participant, statement_id, value, request_key=request_key)
        except IdempotencyKeyReused:
            # A page from the history (back button) voting otherwise: a change of mind, not a
            # client bug, so it counts as a new vote.
            votes.cast_vote(conversation, participant, statement_id, value)
    except (StatementWithdrawn, NotFound) as gone:
        # Rejected, or back to the moderation queue, while it was on screen.
        _undo_new_participant(conversation, participant)
        return _moved_on(conversation, participant, gone, list_page if back_to_votes else None)
    except ServiceError:
        _undo_new_participant(conversation, participant)
        raise
    if wants_json():
        return jsonify(
            **_what_comes_next(conversation, participant),
            voted=statement_id,
            voted_count=vote_history.vote_count(conversation, participant),
            # After the Nth vote, the page shows this form (already escaped HTML) once.
            questions=questions_form(conversation, participant),
        )
    if back_to_votes:
        # Back to the same statement on the same page of the list, with the message beside it.
        note("votes", "success", _("Your vote is changed."), statement_id=statement_id)
        listed = url_for(
            ".my_votes", conversation_id=conversation.id, page=list_page if list_page > 1 else None
        )
        return redirect(f"{listed}#vote-{statement_id}")
    page = url_for(".conversation", conversation_id=conversation.id)
    if request.form.get("return_to") == "similar":
        counted = _("Your vote is counted.")
        note("statement", "success", counted)
        if not _keep_the_draft(request.form):
            note("statement", "success", _with_shortened_notice(counted))
        return redirect(page + STATEMENT_FORM)
    note("vote", "success", _("Vote recorded: %(choice)s", choice=VOTE_LABELS[value]))
    # Once due, the questions come first (the card below them would scroll them out of view).
    due = questions.questions_due(conversation, participant)
    return redirect(page + (QUESTIONS if due else NEXT_STATEMENT))


def _keep_the_draft(form: MultiDict) -> bool:
    """After a vote on a statement offered as similar, the person's own text comes back with
    the other offers and "Add mine anyway": one who voted against the offer may still mean to
    add theirs. Ids that are not whole numbers are dropped; only visible statements return.
    False if only the text's beginning could be kept (`carried.keep_draft`)."""
    offered = [int(i) for i in form.getlist("offered") if i.isdecimal() and len(i) < 12]
    carried.offer_again(offered)
    return carried.keep_draft(str(form.get("draft", "")))


def _with_shortened_notice(message: str | None) -> str:
    """The note beside the form when the draft came back cut short: the draft is measured
    for the cookie after the note is written, so the note comes again with the notice."""
    return " ".join(filter(None, [message, carried.shortened_notice()]))


def _moved_on(
    conversation: Conversation,
    participant: Participant,
    gone: ServiceError,
    list_page: int | None,
) -> Any:
    """A vote on a statement taken away while it was on screen: say so, and carry on with
    the next statement (a script gets it in the answer), never a dead end. `list_page`: the
    page of "Your votes" the vote came from, None for the voting card."""
    if wants_json():
        return json_error(
            gone.status,
            "statement_withdrawn",
            gone.message,
            **_what_comes_next(conversation, participant),
        )
    if list_page is not None:
        note("votes", "error", gone.message)
        page = list_page if list_page > 1 else None
        return redirect(url_for(".my_votes", conversation_id=conversation.id, page=page))
    if request.form.get("return_to") == "similar":
        note("statement", "error", gone.message)
        if not _keep_the_draft(request.form):  # the offer went; their text stays
            note("statement", "error", _with_shortened_notice(gone.message))
        page = url_for(".conversation", conversation_id=conversation.id)
        return redirect(page + STATEMENT_FORM)
    note("vote", "error", gone.message)
    return redirect(url_for(".conversation", conversation_id=conversation.id) + NEXT_STATEMENT)


@bp.get("/c/<conversation_id>/votes")
def my_votes(conversation_id: str) -> str:
    conversation = consultations.get_conversation(conversation_id)
    participant = participant_of_this_browser(conversation)
    page = page_argument(request.args)
    history, total = (
        vote_history.current_votes(conversation, participant, page, VOTES_PER_PAGE)
        if participant
        else ([], 0)
    )
    return render_template(
        "participation/votes.html",
        conversation=conversation,
        history=history,
        page=page,
        pages=page_count(total, VOTES_PER_PAGE),
        per_page=VOTES_PER_PAGE,
        total=total,
        changed=session.pop("notes", {}).get("votes"),
        outcome=outcomes.published_view(conversation),
    )


@bp.get("/c/<conversation_id>/next")
def next_statement(conversation_id: str) -> Any:
    """The next statement as JSON: the page asks when it has shown every statement."""
    conversation = consultations.get_conversation(conversation_id)
    participant = participant_of_this_browser(conversation)
    return jsonify(**_what_comes_next(conversation, participant))


def _what_comes_next(conversation: Conversation, participant: Participant | None) -> dict[str, Any]:
    """The next statement for the page's script, and how many are left."""
    statement, remaining = routing.next_statement(conversation, participant)
    return {"next": _statement_json(statement), "remaining": remaining}


@bp.get("/c/<conversation_id>/results")
def results(conversation_id: str) -> str:
    """Where the citizen stands: the map with their position, the groups, how each voted."""
    conversation = consultations.get_conversation(conversation_id)
    return render_template(
        "participation/results.html",
        conversation=conversation,
        min_votes_shown=analysis_view.MIN_VOTES_TO_LIST,
    )


@bp.get("/c/<conversation_id>/results.json")
def results_data(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    if not conversation.results_public:
        raise NotFound(_("The results of this consultation are not public."))
    participant = participant_of_this_browser(conversation)
    body = live_view.picture(conversation)
    latest = analyses.latest_analysis(conversation)
    body["me"] = live_view.participant_position(latest, participant.id) if participant else None
    return jsonify(body)


@bp.post("/c/<conversation_id>/statements")
def add_statement(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participant_of_this_browser(conversation, create=True)
    text = form_text(request.form, "text")
    add_anyway = request.form.get("add_anyway") == "1"
    try:
        statement = statements.submit_statement(
            conversation, participant, text, add_anyway=add_anyway
        )
    except ServiceError as error:
        _undo_new_participant(conversation, participant)
        message = statement_refusal(error, text, conversation.statement_max_length)
        if wants_json():
            return json_error(error.status, error.code, message, **error.details)
        refusal = None if isinstance(error, SimilarStatement) else message
        if refusal is None:
            # Shown beside the form with "Add mine anyway" and votes on the similar ones.
            carried.offer_again([offer["id"] for offer in error.details["similar"]])
        else:
            note("statement", "error", refusal)
        if not carried.keep_draft(text):  # last: the cookie's room counts the note in it
            note("statement", "error", _with_shortened_notice(refusal))
        return redirect(url_for(".conversation", conversation_id=conversation.id) + STATEMENT_FORM)
    g.statement_added = True  # counted by the per-participant statement limit
    message = _("Added. Writing it counts as agreeing with it.")
    if not statements.is_visible(conversation, statement):
        message += " " + _("It is shown to others once a facilitator has read it.")
    if wants_json():
        # What is new to vote on: others may have added statements since the page was drawn.
        following, remaining = routing.next_statement(conversation, participant)
        return jsonify(
            message=message,
            statement=_statement_json(statement),
            next=_statement_json(following),
            remaining=remaining,
            voted=vote_history.vote_count(conversation, participant),  # with the author's own
            questions=questions_form(conversation, participant),  # that vote may be the Nth
        ), 201
    note("statement", "success", message)
    return redirect(url_for(".conversation", conversation_id=conversation.id) + STATEMENT_FORM)


def note(place: str, kind: str, text: str, **where: Any) -> None:
    """A message for the next page, shown beside what it answers ("vote", "statement", or
    "votes" with the statement_id): a message at the top of the page is out of view on a phone."""
    message = {"kind": kind, "text": text, **where}
    session["notes"] = {**session.get("notes", {}), place: message}


def questions_form(conversation: Conversation, participant: Participant | None) -> str | None:
    """The questions' form if they are due now (after the Nth vote, once), else None."""
    asked = questions.questions_due(conversation, participant)
    if not asked:
        return None
    return render_template(
        "participation/_questions.html",
        conversation=conversation,
        asked=asked,
        chosen={},
        changing=False,
    )


def participant_of_this_browser(
    conversation: Conversation, *, create: bool = False
) -> Participant | None:
    """The participant this browser is in `conversation`, made on its first vote or statement."""
    known = session.get("participants", {})
    participant = participants.participant_by_id(conversation, known.get(conversation.id))
    if participant is not None:
        return participant
    xid_hash = session.get("xid_hashes", {}).get(conversation.id)
    # A personal link's participant is found without a new token, so their API client stays in.
    participant = participants.participant_by_xid_hash(conversation, xid_hash) if xid_hash else None
    if participant is None and create:
        participant, _token, created = participants.join(
            conversation,
            xid_hash,
            address_hash=request_address_hash(conversation.id),
            segment=_remembered_segment(conversation),
        )
        g.participant_created = created  # counted by the per-address limit on new participants
    if participant is not None:
        session["participants"] = {**known, conversation.id: participant.id}
        session.permanent = True
    return participant


def _undo_new_participant(conversation: Conversation, participant: Participant) -> None:
    """A refused first vote or statement takes back the participant it made: counts show
    people who took part, and a refusal spends none of the address's new-participant limit."""
    # Only a participant no other request can find: a personal link's (xid) is found by
    # its link, and a tab voting at the same moment could lose its vote to the deletion.
    if (
        g.get("participant_created")
        and participant.xid_hash is None
        and participants.withdraw_if_unused(participant)
    ):
        g.participant_created = False
        known = dict(session.get("participants", {}))
        known.pop(conversation.id, None)
        session["participants"] = known


def _remember_xid(conversation: Conversation) -> bool:
    """Keep a personal link's verified xid hash in the session; False if the link is not ours.

    The session cookie is signed but readable, so it holds the keyed hash, never the xid.
    """
    if "xids" in session:
        del session["xids"]  # plain xids that sessions kept before they were hashed
    xid = request.args.get("xid")
    if not xid:
        return True
    try:
        xid_hash = participants.verified_xid_hash(
            conversation, xid, request.args.get("sig"), app_secret()
        )
    except ServiceError:
        return False
    known = session.get("xid_hashes", {})
    if known.get(conversation.id) != xid_hash:
        session["xid_hashes"] = {**known, conversation.id: xid_hash}
        # Another person's link on this browser: their first vote must not go to the last one.
        remembered = session.get("participants", {})
        if conversation.id in remembered:
            session["participants"] = {k: v for k, v in remembered.items() if k != conversation.id}
    return True


def _remember_segment(conversation: Conversation, segment: Segment) -> None:
    """Keep the segment's id for this consultation until this browser's participant is made."""
    session["segments"] = {**session.get("segments", {}), conversation.id: segment.id}


def _remembered_segment(conversation: Conversation) -> Segment | None:
    """The segment of the last segment link opened here, if it still exists."""
    segment_id = session.get("segments", {}).get(conversation.id)
    try:
        return segments.get_segment(conversation, segment_id)
    except NotFound:
        return None  # deleted since, or never: the participant has no segment


def _may_take_part(conversation: Conversation) -> bool:
    if not conversation.require_xid:
        return True
    return conversation.id in session.get("xid_hashes", {}) or conversation.id in session.get(
        "participants", {}
    )


def _statement_json(statement: Statement | None) -> dict[str, Any] | None:
    if statement is None:
        return None
    return {"id": statement.id, "text": statement.text, "is_meta": statement.is_meta}
