"""A consultation shown in a frame on the sites its facilitator lists (`embed_origins`).

Framing. Only the participation page of a consultation, and what it posts to, answers with
`frame-ancestors` naming the listed origins; every other answer keeps the default policy
(`frame-ancestors 'none'`, consult.headers). Only documents need it: JSON answers to the
page's scripts are never framed, so they cost no extra query.

Cookies. A frame from another site is a third-party context: a `SameSite=Lax` session
cookie is neither set nor sent there. Two ways keep a participant known in the frame:

- Over TLS, a navigation in a frame (`Sec-Fetch-Dest: iframe`) gets its session cookie as
  `SameSite=None; Secure; Partitioned`: the browser keeps it for that host site only (CHIPS),
  so the frame works like the first-party page, forms and CSRF tokens included.
- Where no cookie comes back (plain HTTP, as in the tests, or a browser that blocks even
  partitioned cookies), the page carries a signed frame token, and static/js/embedded.js
  sends it in the `X-Embed-Token` header with the page's own requests. The token holds
  the conversation, a random participant token (the participant's API token once they
  act) and the CSRF secret the page's forms were made with. A request with it is read as
  its own session: the participant is the token's alone (never the cookie's), Flask-WTF
  checks the form's CSRF token against the secret as it would against a cookie session,
  and nothing is saved in a cookie. A header a page script sets cannot be forged by
  another site (no CORS here), and a token fetched by someone else only acts for its
  own, new participant, so no browser's cookie identity can be borrowed.

Without cookies the participant lasts as long as the page: a reload is a new participant.
Over TLS the partitioned session keeps the participant token, so a reload is the same one.
"""

from __future__ import annotations

from html import escape

from flask import Flask, Response, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeSerializer

from consult.headers import content_security_policy
from consult.links import base_url, external_url
from consult.models import Conversation
from consult.services import consultations, participants
from consult.services.errors import InvalidInput, Unauthenticated
from consult.tokens import new_token

# The participation page and what it posts to or fetches: nothing else may be framed.
FRAMED_ENDPOINTS = frozenset(
    {
        "participation.conversation",
        "participation.vote",
        "participation.add_statement",
        "participation.next_statement",
    }
)
TOKEN_HEADER = "X-Embed-Token"
_TOKEN_SALT = "consult/embed-token/v1"


# --- What the pages show: the frame script's data, the code to paste ----------------------


def frame_data(conversation: Conversation) -> dict[str, str]:
    """The attributes of the page's embedded.js tag: origins to tell its height to and the
    frame token; none for a page opened by itself or a consultation no site may embed."""
    if not conversation.embed_origins or request.headers.get("Sec-Fetch-Dest") == "document":
        return {}
    return {
        "data-origins": " ".join(conversation.embed_origins),
        "data-token": _new_frame_token(conversation.id),
    }


def snippet(conversation: Conversation) -> str:
    """The HTML a listed site pastes into its page: a link, which static/js/embed.js turns
    into a frame sized to its content."""
    link = escape(external_url("participation.conversation", conversation_id=conversation.id))
    script = escape(external_url("static", filename="js/embed.js"))
    text = escape(_("Take part: %(topic)s", topic=conversation.topic))
    return (
        f'<div data-consult-embed="{link}"><a href="{link}">{text}</a></div>\n'
        f'<script src="{script}" async></script>'
    )


# --- The frame token: minted with the page, read back before CSRF is checked --------------


def _new_frame_token(conversation_id: str) -> str:
    generate_csrf()  # the forms' CSRF secret is in the session from here on
    secret = session[current_app.config["WTF_CSRF_FIELD_NAME"]]
    participant_token = _remembered_participant_token(conversation_id)
    payload = {"c": conversation_id, "t": participant_token, "k": secret}
    return _serializer().dumps(payload)


def _remembered_participant_token(conversation_id: str) -> str:
    """The frame's participant token, kept in the session: a partitioned cookie brings it
    back on a reload (over TLS), so the frame stays the same participant."""
    known = session.get("embed", {})
    token = known.get(conversation_id) if isinstance(known, dict) else None
    if isinstance(token, str):
        return token
    token = new_token()
    if _in_a_frame():
        session["embed"] = {**(known if isinstance(known, dict) else {}), conversation_id: token}
    return token


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_TOKEN_SALT)


def restore_frame_session() -> None:
    """Before CSRF is checked: read a framed page's request with its token as its session."""
    raw = request.headers.get(TOKEN_HEADER)
    if raw is None or request.endpoint not in FRAMED_ENDPOINTS:
        return
    conversation_id = (request.view_args or {}).get("conversation_id")
    try:
        payload = _serializer().loads(raw)
    except BadSignature:
        payload = None
    if (
        not isinstance(payload, dict)
        or payload.get("c") != conversation_id
        or not all(isinstance(payload.get(key), str) for key in ("t", "k"))
    ):
        raise InvalidInput(_("This embedded page is out of date or was changed: reload it."))
    g.embed_participant_token = payload["t"]
    session[current_app.config["WTF_CSRF_FIELD_NAME"]] = payload["k"]
    known = {k: v for k, v in session.get("participants", {}).items() if k != conversation_id}
    participant_id = _token_participant_id(conversation_id, payload["t"])
    if participant_id is not None:
        known[conversation_id] = participant_id
    session["participants"] = known


def _token_participant_id(conversation_id: str, token: str) -> int | None:
    conversation = consultations.get_conversation(conversation_id)
    try:
        return participants.participant_for_token(conversation, token).id
    except Unauthenticated:  # nobody has acted in this frame yet
        return None


def adopt_frame_token(response: Response) -> Response:
    """The participant a framed request just made takes the frame's token, so that the
    page's next request, carrying the same token, finds them."""
    token = g.get("embed_participant_token")
    if token is not None and g.get("participant_created"):
        conversation_id = (request.view_args or {}).get("conversation_id")
        participant_id = session.get("participants", {}).get(conversation_id)
        if participant_id is not None:
            participants.adopt_token(participant_id, token)
    return response


# --- Who may frame, and the cookie in a frame ---------------------------------------------


def allow_framing(response: Response) -> Response:
    """Name the consultation's origins in `frame-ancestors` on its framed pages."""
    if request.endpoint not in FRAMED_ENDPOINTS or response.mimetype != "text/html":
        return response
    if response.status_code >= 500:  # the database may be what failed: ask it nothing more
        return response
    conversation = consultations.find_conversation(
        (request.view_args or {}).get("conversation_id", "")
    )
    if conversation is not None and conversation.embed_origins:
        origins = tuple(conversation.embed_origins)
        response.headers["Content-Security-Policy"] = content_security_policy(
            base_url(), frame_ancestors=origins
        )
    return response


class EmbeddingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, partitioned in a frame over TLS, and never saved
    for a request its frame token stood in for."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if g.get("embed_participant_token") is not None:
            return  # the page holds this session; a cookie would mix identities
        super().save_session(app, session, response)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if _partitioned() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return _partitioned() or super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return _partitioned() or super().get_cookie_partitioned(app)


def _partitioned() -> bool:
    """A framed navigation over TLS (Partitioned needs Secure, and Secure needs TLS)."""
    return (
        request.endpoint in FRAMED_ENDPOINTS
        and _in_a_frame()
        and (request.is_secure or base_url().startswith("https://"))
    )


def _in_a_frame() -> bool:
    """A navigation inside a frame, as the browser says (Fetch Metadata)."""
    return request.headers.get("Sec-Fetch-Dest") in {"iframe", "frame"}


def init_app(app: Flask) -> None:
    """Call before CSRFProtect.init_app: its check must see the session a token restores."""
    app.session_interface = EmbeddingSessionInterface()
    app.before_request(restore_frame_session)
    app.after_request(adopt_frame_token)
    app.after_request(allow_framing)
    app.jinja_env.globals["embed_frame_data"] = frame_data
    app.jinja_env.globals["embed_snippet"] = snippet
