"""Column types and times the models share (`consult.models` re-exports the times)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes, which we stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# BigInteger ids on PostgreSQL; SQLite only makes INTEGER PRIMARY KEY an autoincrementing rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Analyses are large documents: JSONB on PostgreSQL (compact, queryable), JSON text elsewhere.
# None is SQL NULL (not the JSON text null), so "thinned" is an indexable IS NULL.
JsonDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
