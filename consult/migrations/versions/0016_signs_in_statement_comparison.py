"""signs in statement comparison: "+10%" and "-10%" are no longer the same statement

Statements are compared by their normalised text (and its hash); the normalisation now
keeps signs (+, a minus before a number, <, >, ≤, ≥) as words. Stored texts that contain
one are normalised again, so that new statements are compared with them by the same rule:
this release's `normalize_for_comparison` (a later change to it needs a migration of its own).

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

SIGN_CHARACTERS = "+-\u2212<>\u2264\u2265\uff0b\uff0d\uff1c\uff1e"  # fullwidth ones fold to these


def upgrade() -> None:
    statements = sa.table(
        "statements",
        sa.column("id", sa.BigInteger),
        sa.column("text", sa.Text),
        sa.column("normalized_text", sa.Text),
        sa.column("text_hash", sa.String(64)),
    )
    connection = op.get_bind()
    with_signs = sa.or_(*(statements.c.text.contains(ch) for ch in SIGN_CHARACTERS))
    rows = connection.execute(sa.select(statements.c.id, statements.c.text).where(with_signs))
    for statement_id, text in rows.all():
        normalized = normalize_for_comparison(text)
        connection.execute(
            statements.update()
            .where(statements.c.id == statement_id)
            .values(
                normalized_text=normalized,
                text_hash=hashlib.sha256(normalized.encode("utf-8")).hexdigest(),
            )
        )


def downgrade() -> None:
    pass  # the old normalisation folded signs away; texts with signs stay as they are now
