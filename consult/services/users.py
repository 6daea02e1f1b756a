"""Facilitator accounts."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.models import User
from consult.security import hash_password, verify_password
from consult.services import login_sessions
from consult.services.errors import Conflict, InvalidInput, NotFound, Unauthenticated

# No spaces or control characters (a NUL would reach PostgreSQL, which cannot store it).
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
MIN_PASSWORD_LENGTH = 10


def create_user(email: str, password: str) -> User:
    email = _clean_email(email)
    _check_password(password)
    conflict = Conflict(_("A facilitator with the email %(email)s exists already.", email=email))
    if db.session.scalar(select(User).filter_by(email=email)):
        raise conflict
    user = User(email=email, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # another request made the same account since the check
        db.session.rollback()
        raise conflict from None
    return user


def set_password(email: str, password: str) -> User:
    """Give a facilitator a new password and end every login they have (an operator's
    reset: whoever knew the old one is logged out too). API tokens keep working."""
    _check_password(password)
    user = get_user_by_email(email)
    user.password_hash = hash_password(password)
    login_sessions.end_all(user)  # commits the new hash with the logins' end
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _("A password needs at least %(limit)s characters.", limit=MIN_PASSWORD_LENGTH)
        )


def authenticate(email: str, password: str) -> User:
    """Return the user whose email and password these are, or raise Unauthenticated."""
    user = _user_or_none(email)
    # An unknown email is verified too (against a dummy hash): both answers take as long.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthenticated(_("Wrong email or password."))
    return user


def get_user_by_email(email: str) -> User:
    user = _user_or_none(email)
    if user is None:
        raise NotFound(_("No facilitator has the email %(email)s.", email=email))
    return user


def _user_or_none(email: str) -> User | None:
    """The account with this email; what cannot be an email is no account, without a query."""
    email = email.strip().lower()
    return db.session.scalar(select(User).filter_by(email=email)) if _is_email(email) else None


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if not _is_email(email):
        raise InvalidInput(_("“%(email)s” is not an email address.", email=email))
    return email


def _is_email(email: str) -> bool:
    return len(email) <= 254 and _EMAIL.match(email) is not None
