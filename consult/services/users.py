"""Facilitator accounts."""

from __future__ import annotations

import re

from sqlalchemy import select

from consult.extensions import db
from consult.models import User
from consult.security import hash_password, verify_password
from consult.services.errors import Conflict, InvalidInput, NotFound, Unauthenticated

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def create_user(email: str, password: str) -> User:
    email = _clean_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if db.session.scalar(select(User).filter_by(email=email)):
        raise Conflict(f"A facilitator with the email {email} exists already.")
    user = User(email=email, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User:
    """Return the user whose email and password these are, or raise Unauthenticated."""
    user = db.session.scalar(select(User).filter_by(email=email.strip().lower()))
    # An unknown email is verified too (against a dummy hash): both answers take as long.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthenticated("Wrong email or password.")
    return user


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).filter_by(email=email.strip().lower()))
    if user is None:
        raise NotFound(f"No facilitator has the email {email}.")
    return user


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address.")
    return email
