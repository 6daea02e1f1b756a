"""Rate limits (Flask-Limiter): who may create, vote, write and log in how fast.

One Limiter per app, not a shared extension object: its storage (memory on the embedded
tier, Redis on the production tier, shared by every process) belongs to the app, and tests
make many apps in one process. Each limit string may hold several windows ("5 per minute;
20 per hour"): a short one against bursts, a longer one as backoff against slow floods.
Only the failures count towards the login and token limits, and they are checked before
the password is verified, so a flood of wrong passwords costs at most that many argon2
verifications per window and cannot starve the votes. Votes, the hot path, count their
windows in one round trip of their own (consult.vote_limits), with the same settings.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.wrappers import Response
from flask_limiter import Limiter
from limits import parse_many

from consult.api.inputs import bearer_token
from consult.tokens import token_digest
from consult.vote_limits import VoteLimits, hit_every_window, vote_limits

_EXTENSION = "consult.limiter"


def init_app(app: Flask) -> None:
    """Attach the limits to their endpoints; call after the blueprints are registered."""
    config = app.config
    limiter = Limiter(
        key_func=_client_ip,
        app=app,
        enabled=bool(config["CONSULT_RATELIMIT_ENABLED"]),
        storage_uri=config["CONSULT_REDIS_URL"] or "memory://",
        # No X-RateLimit-* headers: working them out took a Redis round trip per limit on
        # every vote, half the limiter's cost. The 429 handler sets Retry-After itself.
        headers_enabled=False,
        # A Redis outage must not stop the consultation: requests go through unlimited.
        swallow_errors=True,
    )
    app.extensions[_EXTENSION] = limiter
    if not limiter.enabled:
        return

    def limit(setting: str, scope: str, key: Callable[[], str], **options: Any) -> Any:
        return limiter.shared_limit(
            config[setting], scope, key_func=key, override_defaults=False, **options
        )

    def already_joined() -> bool:
        return bool(_participant_key())

    def without_participant() -> bool:
        return not _participant_key()

    new_participant_by_api = limit(
        "CONSULT_RATELIMIT_PARTICIPANTS_PER_IP",
        "participants",
        _client_ip,
        deduct_when=lambda response: response.status_code == 201,
    )
    # The pages make a participant on a browser's first vote or statement.
    new_participant_by_page = limit(
        "CONSULT_RATELIMIT_PARTICIPANTS_PER_IP",
        "participants",
        _client_ip,
        exempt_when=already_joined,
        deduct_when=lambda _response: g.get("participant_created", False),
    )
    # Only statements added count for the participant: one whose statement was refused (too
    # long, or offered a similar one) must be able to try again; every attempt counts for the
    # address, the limit against floods.
    statements_per_participant = limit(
        "CONSULT_RATELIMIT_STATEMENTS_PER_PARTICIPANT",
        "statements",
        _participant_key,
        exempt_when=without_participant,
        deduct_when=lambda _response: g.get("statement_added", False),
    )
    statements_per_ip = limit("CONSULT_RATELIMIT_STATEMENTS_PER_IP", "statements", _client_ip)
    failed_logins = {"methods": ["POST"], "deduct_when": _refused}
    logins_per_account = limit(
        "CONSULT_RATELIMIT_LOGINS_PER_ACCOUNT",
        "login",
        _account_key,
        exempt_when=lambda: not _account_key(),
        **failed_logins,
    )
    logins_per_ip = limit("CONSULT_RATELIMIT_LOGINS_PER_IP", "login", _client_ip, **failed_logins)
    # Failed API tokens are counted where they fail (`failed_token_retry_after`), not tested
    # on every API request: that cost two Redis round trips on every vote.

    limited: set[str] = set()

    def wrap(endpoint: str, *limits: Any) -> None:
        _wrap(app, endpoint, *limits)
        limited.add(endpoint)

    wrap("api.join", new_participant_by_api)
    wrap("participation.vote", new_participant_by_page)
    wrap("api.submit_statement", statements_per_participant, statements_per_ip)
    wrap(
        "participation.add_statement",
        new_participant_by_page,
        statements_per_participant,
        statements_per_ip,
    )
    wrap("facilitation.login_page", logins_per_account, logins_per_ip)
    # Flask-Limiter's own check before every request cost a quarter of a vote's CPU (0.3 ms)
    # with nothing to do: only the views above have its limits.
    limiter.request_filter(lambda: request.endpoint not in limited)
    # Votes count all their windows in one round trip (vote_limits), before anything else.
    votes = vote_limits(app)
    for endpoint in ("api.vote", "participation.vote"):
        _check_votes_first(app, endpoint, votes)


def failed_token_retry_after() -> int | None:
    """Count a bearer token that failed from this address; once the address has failed more
    than CONSULT_RATELIMIT_TOKENS_PER_IP allows, the seconds until it may try again.

    A valid token keeps working from the same address: tokens are 256 random bits, so a
    flood of wrong ones guesses nothing, and one bad script must not lock out an office.
    """
    limiter: Limiter | None = current_app.extensions.get(_EXTENSION)
    if limiter is None or not limiter.enabled:
        return None
    address = _client_ip()
    windows = parse_many(current_app.config["CONSULT_RATELIMIT_TOKENS_PER_IP"])
    try:
        wait = hit_every_window(limiter.limiter, "tokens", [(address, w) for w in windows])
    except Exception:  # storage unreachable: go through unlimited, as the other limits do
        return None
    return wait or None


def retry_after() -> int:
    """Seconds until the limit this request broke lets it through again (at least 1)."""
    limiter: Limiter = current_app.extensions[_EXTENSION]
    broken = limiter.current_limit
    if broken is None:
        return 1
    return max(1, int(broken.reset_at - time.time()))


def _wrap(app: Flask, endpoint: str, *limits: Any) -> None:
    """Decorate a registered view with limits, for this app only (views are shared objects)."""
    view = app.view_functions[endpoint]
    for each in limits:
        # Flask-Limiter checks every limit of a view in its innermost wrapper, so one is kept.
        wrapped = each(view)
    app.view_functions[endpoint] = wrapped


def _check_votes_first(app: Flask, endpoint: str, limits: VoteLimits) -> None:
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        limits.check(_participant_key(), _client_ip())
        return view(*args, **kwargs)

    app.view_functions[endpoint] = limited


def _client_ip() -> str:
    # Behind a trusted proxy, ProxyFix (when configured) makes this the client's address.
    return request.remote_addr or "unknown"


def _participant_key() -> str:
    """The participant a request speaks for: its API token, or the browser's participant."""
    token = bearer_token()
    if token is not None:
        return "token:" + token_digest(token)
    conversation_id = (request.view_args or {}).get("conversation_id")
    participant_id = session.get("participants", {}).get(conversation_id)
    return f"participant:{participant_id}" if participant_id else ""


def _account_key() -> str:
    """The account a login names, known or not, hashed to keep storage keys short."""
    email = request.form.get("email", "").strip().lower()
    if not email:
        return ""
    return "account:" + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()


def _refused(response: Response) -> bool:
    return response.status_code == 401
