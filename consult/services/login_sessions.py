"""Facilitators' logins, kept on the server so that logging out really ends one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from consult.extensions import db
from consult.models import LoginSession, User, as_utc, utcnow
from consult.tokens import new_token, token_digest

# Seeing a session is written down at most this often: not one write per page view.
TOUCH_EVERY = timedelta(minutes=5)


def start(user: User, lifetime: timedelta) -> str:
    """A new login for `user`; returns the key its cookie carries (only a hash is stored)."""
    key = new_token()
    now = utcnow()
    # Old logins are cleared as new ones start: no table that only grows, no cron job.
    db.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now)
    )
    db.session.add(
        LoginSession(
            user_id=user.id,
            key_hash=token_digest(key),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.commit()
    return key


def user_for_key(key: str) -> User | None:
    """The facilitator of a live login, or None if it ended, expired, or never was."""
    row = db.session.scalar(select(LoginSession).filter_by(key_hash=token_digest(key)))
    now = utcnow()
    if row is None or as_utc(row.expires_at) <= now:
        return None
    if now - as_utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return row.user


def end(key: str) -> None:
    db.session.execute(delete(LoginSession).filter_by(key_hash=token_digest(key)))
    db.session.commit()


def end_others(user: User, keep_key: str) -> int:
    """Log `user` out everywhere but here; returns how many logins ended."""
    return _end_where(user, LoginSession.key_hash != token_digest(keep_key))


def end_all(user: User) -> int:
    """Log `user` out everywhere (a password reset); returns how many logins ended.
    Commits with them whatever else the session holds for `user`."""
    return _end_where(user)


def _end_where(user: User, *conditions: Any) -> int:
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, *conditions)
    )
    db.session.commit()
    return result.rowcount


def live_for(user: User, current_key: str | None) -> list[dict[str, object]]:
    """The user's live logins, newest first, each saying whether it is this one."""
    current_hash = token_digest(current_key) if current_key else None
    rows = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
    )
    return [
        {
            "started": as_utc(row.created_at),
            "last_seen": as_utc(row.last_seen_at),
            "expires": as_utc(row.expires_at),
            "is_current": row.key_hash == current_hash,
        }
        for row in rows
    ]
