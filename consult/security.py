"""Passwords, tokens, and who may run which consultation."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, redirect, request, session, url_for

from consult.extensions import db
from consult.models import User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A random bearer token: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored as SHA-256: they are random, so a slow KDF adds nothing."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_public_id() -> str:
    """An unguessable id for a consultation's link (10 characters of base 32)."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


# --- Facilitator sessions -----------------------------------------------------------------


def login(user: User) -> None:
    session.clear()  # a fresh session on login: no fixation of an earlier one
    session["user_id"] = user.id
    session.permanent = True


def logout() -> None:
    session.pop("user_id", None)


def current_user() -> User | None:
    """The facilitator logged in on this request's session, if any (cached on `g`)."""
    if "current_user" not in g:
        user_id = session.get("user_id")
        g.current_user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return g.current_user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("facilitation.login_page", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped
