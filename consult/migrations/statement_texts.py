"""Stored statements compared again by the current rule: what a migration that changes
`normalize_for_comparison` runs, so that new statements meet old ones on equal terms."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from consult.services.text import normalize_for_comparison


def renormalise_statements(connection: Connection) -> None:
    """Every statement's normalised text and its hash, by this release's rule.

    Every text is normalised again (which characters the rule changed is the rule's
    business, not a list here); only those whose normalised text changed are written.
    """
    statements = sa.table(
        "statements",
        sa.column("id", sa.BigInteger),
        sa.column("text", sa.Text),
        sa.column("normalized_text", sa.Text),
        sa.column("text_hash", sa.String(64)),
    )
    rows = connection.execute(
        sa.select(statements.c.id, statements.c.text, statements.c.normalized_text)
    ).all()
    changed = [
        {"row_id": row_id, "normalized": new, "digest": hashlib.sha256(new.encode()).hexdigest()}
        for row_id, text, old in rows
        if (new := normalize_for_comparison(text)) != old
    ]
    if changed:
        connection.execute(
            statements.update()
            .where(statements.c.id == sa.bindparam("row_id"))
            .values(normalized_text=sa.bindparam("normalized"), text_hash=sa.bindparam("digest")),
            changed,
        )
