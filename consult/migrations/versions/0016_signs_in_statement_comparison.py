"""signs in statement comparison: "+10%" and "-10%" are no longer the same statement

Statements are compared by their normalised text (and its hash); the normalisation now
keeps signs (+, a minus or dash before a number, <, >, ≤, ≥, ±, the stroke of ≠ and ≮) as
words. Stored texts are normalised again, so that new statements are compared with them by
the same rule: this release's `normalize_for_comparison` (a later change to it needs a
migration of its own).

Revision ID: 0016_signs_in_comparison
Revises: 0015_question_targets
"""

import hashlib

import sqlalchemy as sa
from alembic import op

from consult.services.text import normalize_for_comparison

revision = "0016_signs_in_comparison"
down_revision = "0015_question_targets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    statements = sa.table(
        "statements",
        sa.column("id", sa.BigInteger),
        sa.column("text", sa.Text),
        sa.column("normalized_text", sa.Text),
        sa.column("text_hash", sa.String(64)),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(statements.c.id, statements.c.text, statements.c.normalized_text)
    ).all()
    # Every text is normalised again (which characters the rule changed is the rule's
    # business, not a list here); only those whose normalised text changed are written.
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


def downgrade() -> None:
    pass  # the old normalisation folded signs away; texts with signs stay as they are now
