"""participants erase their data: erasures recorded (how much, not who); a setting to keep
their statements, detached, for the others who voted on them

Revision ID: 0009_erasure
Revises: 0008_read_indexes
"""

import sqlalchemy as sa
from alembic import op

from consult import tally_triggers

revision = "0009_erasure"
down_revision = "0008_read_indexes"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", _ID, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("statements_removed", sa.Integer(), nullable=False),
        sa.Column("statements_kept", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_erasures_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erasures_conversation_id"), ["conversation_id"], unique=False
        )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "keep_statements_on_erasure",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    # SQLite rebuilds the table for this batch, which drops the tally triggers on it (0008).
    tally_triggers.install(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("keep_statements_on_erasure")
    tally_triggers.install(op.get_bind())  # SQLite rebuilt the table without them
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasures_conversation_id"))
    op.drop_table("erasures")
