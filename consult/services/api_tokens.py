"""Facilitators' API tokens: issued with a name and an expiry, listed, revoked."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from consult.extensions import db
from consult.models import ApiToken, User, as_utc, utcnow
from consult.services.errors import InvalidInput, NotFound
from consult.tokens import new_token, token_digest

DEFAULT_DAYS = 90
MAX_DAYS = 366
MAX_NAME_LENGTH = 80
# The last use is written down at most this often: not one write per API call.
TOUCH_EVERY = timedelta(hours=1)


def issue(user: User, *, name: str = "", days: int | None = DEFAULT_DAYS) -> str:
    """Create a token for `user` and return it: shown once, stored only as a hash.

    `days=None` makes a token that never expires (for the command line's scripts only).
    """
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            _("A token's name has at most %(limit)s characters.", limit=MAX_NAME_LENGTH)
        )
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(_("A token lasts from 1 to %(limit)s days.", limit=MAX_DAYS))
    token = new_token()
    now = utcnow()
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_digest(token),
            name=name,
            created_at=now,
            expires_at=None if days is None else now + timedelta(days=days),
        )
    )
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The facilitator a live token belongs to; None for an unknown, expired or revoked one."""
    row = db.session.scalar(select(ApiToken).filter_by(token_hash=token_digest(token)))
    now = utcnow()
    if row is None or (row.expires_at is not None and as_utc(row.expires_at) <= now):
        return None
    if row.last_used_at is None or now - as_utc(row.last_used_at) >= TOUCH_EVERY:
        row.last_used_at = now
        db.session.commit()
    return row.user


def live_for(user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(user: User, token_id: int) -> None:
    """Delete one of `user`'s tokens; another facilitator's token is NotFound, as unknown."""
    result = db.session.execute(
        delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    db.session.commit()
    if result.rowcount == 0:
        raise NotFound(_("You have no API token %(id)s.", id=token_id))
