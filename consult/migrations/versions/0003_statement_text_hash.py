"""statements: text_hash, and no more unique normalised text per conversation

A statement hidden from its author (rejected, or unread under strict moderation) must not block
the same text, so (conversation_id, normalized_text) is no longer unique. Exact repeats are
looked up by the SHA-256 of the normalised text, through a non-unique index that also stays
small for long CJK statements (a btree on the text itself overflowed on PostgreSQL).

Revision ID: 0003_statement_text_hash
Revises: 0002_xid_hash
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0003_statement_text_hash"
down_revision = "0002_xid_hash"
branch_labels = None
depends_on = None

_statements = sa.table(
    "statements",
    sa.column("id", sa.BigInteger()),
    sa.column("normalized_text", sa.Text()),
    sa.column("text_hash", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("statements") as batch_op:
        batch_op.add_column(sa.Column("text_hash", sa.String(length=64), nullable=True))
    # Filled in Python, as consult.services.statements.text_hash does: SQLite has no SHA-256.
    connection = op.get_bind()
    rows = connection.execute(sa.select(_statements.c.id, _statements.c.normalized_text)).all()
    for statement_id, normalized in rows:
        digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
        connection.execute(
            _statements.update().where(_statements.c.id == statement_id).values(text_hash=digest)
        )
    with op.batch_alter_table("statements") as batch_op:
        batch_op.alter_column("text_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_statements_conversation_id_normalized_text", type_="unique")
        batch_op.create_index(
            "ix_statements_conversation_id_text_hash",
            ["conversation_id", "text_hash"],
            unique=False,
        )


def downgrade() -> None:
    # Fails if the same normalised text now appears twice in a conversation: remove one first.
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_index("ix_statements_conversation_id_text_hash")
        batch_op.create_unique_constraint(
            "uq_statements_conversation_id_normalized_text", ["conversation_id", "normalized_text"]
        )
        batch_op.drop_column("text_hash")
