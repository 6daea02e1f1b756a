"""Settings: defaults, then CONSULT_* environment variables, then a mapping from the caller.

Nothing here runs at import time; `load_settings` is called by the factory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Rate limits (consult/rate_limits.py), set far above a real consultation: a school or an
# office may put hundreds of people behind one address, and no one votes faster than
# 1-2 statements a second for long. Several windows per setting: a burst one, then backoff.
RATE_LIMITS: dict[str, str] = {
    "CONSULT_RATELIMIT_PARTICIPANTS_PER_IP": "300 per minute;3000 per hour",
    "CONSULT_RATELIMIT_VOTES_PER_PARTICIPANT": "30 per 10 seconds;120 per minute",
    "CONSULT_RATELIMIT_VOTES_PER_IP": "6000 per minute",
    "CONSULT_RATELIMIT_STATEMENTS_PER_PARTICIPANT": "5 per minute;30 per hour",
    "CONSULT_RATELIMIT_STATEMENTS_PER_IP": "120 per minute;2000 per hour",
    # Only failures count towards these two.
    "CONSULT_RATELIMIT_LOGINS_PER_ACCOUNT": "5 per minute;20 per hour",
    "CONSULT_RATELIMIT_LOGINS_PER_IP": "20 per minute;100 per hour",
    "CONSULT_RATELIMIT_TOKENS_PER_IP": "20 per minute;100 per hour",
}

DEFAULTS: dict[str, Any] = {
    # The largest valid body (an outcome of 10,000 characters, each written as a 12-byte JSON
    # escape) is about 120 KB; 1 MiB is nginx's default limit. Creating a consultation with
    # its seeds and the invitations take up to 4 MiB (consult.api.views).
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "consult_session",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "CONSULT_PAGE_SIZE": 50,
    "CONSULT_REDIS_URL": None,
    "CONSULT_ANALYSIS_DEBOUNCE": 1.0,  # seconds between two analyses of one consultation
    "CONSULT_ANALYSIS_COLD_EVERY": 600.0,  # seconds between cold analyses (DESIGN.md §1)
    "CONSULT_ANALYSIS_SETTLE_AFTER": 60.0,  # seconds after the last warm update: a cold one
    "CONSULT_ALLOWED_ORIGINS": [],  # other sites whose pages may open Socket.IO connections
    "CONSULT_BASE_URL": None,  # the public address links are written with (consult.links)
    "CONSULT_TRUSTED_PROXIES": 0,  # reverse proxies whose X-Forwarded-* we believe
    "CONSULT_ADDRESS_HASH_DAYS": 30,  # days a participant's hashed network is kept (bursts)
    # Counts of fewer people than this are not shown (segments): a handful could be told apart.
    "CONSULT_MIN_CELL": 10,
    "CONSULT_PASSWORD_HASHING": "strong",  # "cheapest" only for test suites
    "CONSULT_RATELIMIT_ENABLED": True,  # 0 for load tests and benchmarks
    **RATE_LIMITS,
    # PostgreSQL connections per process (SQLAlchemy's pool_size, max_overflow): a request
    # holds one only from its first query to its commit (a vote: two round trips), so 25
    # serve a process's 100 threads; the default 5 + 10 made threads queue for one. Keep
    # (pool + overflow) x processes below the server's max_connections (100 by default).
    "CONSULT_DB_POOL_SIZE": 25,
    "CONSULT_DB_MAX_OVERFLOW": 15,
    # Requests one process works on at once; past it, 503 with Retry-After at once
    # (consult/load_shedding.py). Below gunicorn's --threads, so spare threads refuse fast.
    "CONSULT_MAX_IN_FLIGHT": 64,
    "CONSULT_RETRY_AFTER": 2,  # seconds a refused client is asked to wait
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _yes_or_no(raw: str) -> bool:
    """A switch: 'true' and 'false' and their usual spellings; anything else is refused, not
    read as false (a typo must not turn Secure cookies or rate limits off)."""
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(raw)
    return value in _TRUE


# Environment variable -> (config key, parser)
_ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "CONSULT_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "CONSULT_SECRET_KEY": ("SECRET_KEY", str),
    "CONSULT_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _yes_or_no),
    "CONSULT_REDIS_URL": ("CONSULT_REDIS_URL", str),
    "CONSULT_ANALYSIS": ("CONSULT_ANALYSIS", str),
    "CONSULT_ANALYSIS_DEBOUNCE": ("CONSULT_ANALYSIS_DEBOUNCE", float),
    "CONSULT_ANALYSIS_COLD_EVERY": ("CONSULT_ANALYSIS_COLD_EVERY", float),
    "CONSULT_ANALYSIS_SETTLE_AFTER": ("CONSULT_ANALYSIS_SETTLE_AFTER", float),
    "CONSULT_ALLOWED_ORIGINS": (
        "CONSULT_ALLOWED_ORIGINS",
        lambda v: [o.strip().rstrip("/") for o in v.split(",") if o.strip()],
    ),
    "CONSULT_BASE_URL": ("CONSULT_BASE_URL", lambda v: v.strip().rstrip("/") or None),
    "CONSULT_TRUSTED_PROXIES": ("CONSULT_TRUSTED_PROXIES", int),
    "CONSULT_ADDRESS_HASH_DAYS": ("CONSULT_ADDRESS_HASH_DAYS", int),
    "CONSULT_MIN_CELL": ("CONSULT_MIN_CELL", int),
    "CONSULT_PASSWORD_HASHING": ("CONSULT_PASSWORD_HASHING", str),
    "CONSULT_RATELIMIT_ENABLED": ("CONSULT_RATELIMIT_ENABLED", _yes_or_no),
    **{key: (key, str) for key in RATE_LIMITS},
    "CONSULT_DB_POOL_SIZE": ("CONSULT_DB_POOL_SIZE", int),
    "CONSULT_DB_MAX_OVERFLOW": ("CONSULT_DB_MAX_OVERFLOW", int),
    "CONSULT_MAX_IN_FLIGHT": ("CONSULT_MAX_IN_FLIGHT", int),
    "CONSULT_RETRY_AFTER": ("CONSULT_RETRY_AFTER", int),
}


def load_settings(instance_path: str, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the settings for one app: defaults < environment < overrides."""
    settings = dict(DEFAULTS)
    for variable, (key, parse) in _ENVIRONMENT.items():
        raw = environment_value(variable)
        if raw is not None:
            settings[key] = _parsed(variable, raw, parse)
    settings.update(overrides or {})
    settings.setdefault("SQLALCHEMY_DATABASE_URI", _default_database_url(instance_path))
    database_url = normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    settings["SQLALCHEMY_DATABASE_URI"] = database_url
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret(instance_path)
    settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(settings))
    # Analyses run on the queue where Redis is configured (several processes), else in a
    # thread of the serving process (the embedded tier).
    queue_or_thread = "queue" if settings["CONSULT_REDIS_URL"] else "thread"
    settings.setdefault("CONSULT_ANALYSIS", queue_or_thread)
    return settings


def environment_value(variable: str) -> str | None:
    """The variable's value; None when unset or empty (`CONSULT_REDIS_URL=` in a compose
    file): its default, not an empty database address or a cookie no longer Secure."""
    raw = os.environ.get(variable, "")
    return raw if raw.strip() else None


def _parsed(variable: str, raw: str, parse: Any) -> Any:
    try:
        return parse(raw)
    except ValueError:
        raise ValueError(f"{variable}={raw!r} is not a valid value for it") from None


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "consult.db")


def _engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    # Bound parameters (emails, votes, token hashes) never appear in error messages or logs.
    private = {"hide_parameters": True}
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers wait for the lock instead of failing at once (see consult.extensions).
        return {**private, "connect_args": {"timeout": 30, "check_same_thread": False}}
    return {
        **private,
        "pool_pre_ping": True,
        "pool_size": settings["CONSULT_DB_POOL_SIZE"],
        "max_overflow": settings["CONSULT_DB_MAX_OVERFLOW"],
    }


def _instance_secret(instance_path: str) -> str:
    """A random key kept in the instance folder, so the embedded tier needs no setup.

    Production sets CONSULT_SECRET_KEY; the key never lives in the code.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_once(path, secrets.token_hex(32))
    return path.read_text().strip()


def _create_once(path: Path, content: str) -> None:
    """Write `path` unless it exists, atomically: of processes starting at once, one wins
    and all read its key (each writes a whole file aside, then links it into place)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.touch(mode=0o600)
    draft.write_text(content)
    try:
        os.link(draft, path)  # fails if the file exists: never replaces a key in use
    except FileExistsError:
        pass
    finally:
        draft.unlink()
