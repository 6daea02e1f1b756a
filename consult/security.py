"""Passwords, tokens, and who may run which consultation."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_app_context, redirect, request, session, url_for

from consult.models import User
from consult.services import login_sessions

# argon2id with the library's recommended parameters; the test suite may choose the
# cheapest ones (CONSULT_PASSWORD_HASHING=cheapest): each of its hundreds of accounts would
# otherwise cost a strong hash. Verifying reads the parameters from the hash itself.
_HASHERS = {
    "strong": PasswordHasher(),
    "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST),
}


def _hasher() -> PasswordHasher:
    mode = current_app.config["CONSULT_PASSWORD_HASHING"] if has_app_context() else "strong"
    return _HASHERS[mode]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; None (no such account) costs the same and is always False.

    Verifying against a dummy hash keeps the time of a login from telling who has an account.
    """
    hasher = _hasher()
    try:
        if password_hash is None:
            hasher.verify(_dummy_hash(hasher), password)
            return False
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, made once per process with the hasher's parameters."""
    return hasher.hash(secrets.token_urlsafe(16))


# --- Personal links (xids) --------------------------------------------------------------
# An xid is a credential Consult issues: the link carries the xid and an HMAC of it, and the
# database keeps only another HMAC of it. Each use has its own key, derived from SECRET_KEY,
# so a value made for one purpose is worth nothing for another.

_XID_SIGNATURE = "consult/xid-signature/v1"
_XID_HASH = "consult/xid-hash/v1"
_ADDRESS_HASH = "consult/address-hash/v1"


def app_secret() -> str | bytes:
    """The running app's SECRET_KEY, for views to hand to services as a plain argument."""
    return current_app.secret_key


def sign_xid(secret: str | bytes, conversation_id: str, xid: str) -> str:
    """The signature a personal link carries: 128 bits of HMAC-SHA256, URL-safe base64."""
    digest = _xid_mac(secret, _XID_SIGNATURE, conversation_id, xid)[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def xid_signature_is_valid(
    secret: str | bytes, conversation_id: str, xid: str, signature: str
) -> bool:
    expected = sign_xid(secret, conversation_id, xid)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def hash_xid(secret: str | bytes, conversation_id: str, xid: str) -> str:
    """What the database stores for an xid (hex, 64 characters): not reversible without the key."""
    return _xid_mac(secret, _XID_HASH, conversation_id, xid).hex()


def hash_address(secret: str | bytes, conversation_id: str, address: str) -> str | None:
    """A keyed hash of the address's network (IPv4 /24, IPv6 /48) in one consultation.

    Neighbours behind one office or school share it, which is the point; the address itself
    is never stored, and hashes of two consultations cannot be matched. None if unparsable.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    bits = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{bits}", strict=False)
    message = f"{conversation_id}\n{network}".encode("ascii")
    return hmac.new(_purpose_key(secret, _ADDRESS_HASH), message, hashlib.sha256).hexdigest()


def request_address_hash(conversation_id: str) -> str | None:
    """`hash_address` of this request's client (its real address behind a trusted proxy)."""
    return hash_address(app_secret(), conversation_id, request.remote_addr or "")


def _xid_mac(secret: str | bytes, purpose: str, conversation_id: str, xid: str) -> bytes:
    # A newline cannot occur in a conversation id, so ("ab", "c") and ("a", "bc") differ.
    message = f"{conversation_id}\n{xid}".encode("utf-8", "surrogatepass")
    return hmac.new(_purpose_key(secret, purpose), message, hashlib.sha256).digest()


def _purpose_key(secret: str | bytes, purpose: str) -> bytes:
    """A key for one purpose, HMAC(SECRET_KEY, label): the raw secret never keys anything."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(raw, purpose.encode("ascii"), hashlib.sha256).digest()


# --- Facilitator sessions -----------------------------------------------------------------


def login(user: User) -> None:
    session.clear()  # a fresh session on login: no fixation of an earlier one
    lifetime = current_app.permanent_session_lifetime
    session["login"] = login_sessions.start(user, lifetime)
    session.permanent = True


def logout() -> None:
    """End this login on the server too: a copy of the cookie is worth nothing after it."""
    key = session.pop("login", None)
    if isinstance(key, str):
        login_sessions.end(key)
    g.pop("current_user", None)


def current_login_key() -> str | None:
    key = session.get("login")
    return key if isinstance(key, str) else None


def current_user() -> User | None:
    """The facilitator logged in on this request's session, if any (cached on `g`)."""
    if "current_user" not in g:
        key = current_login_key()
        g.current_user = login_sessions.user_for_key(key) if key else None
    return g.current_user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("facilitation.login_page", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped
