"""segments: named invitation links (the assembly, the public), and each participant's segment

Revision ID: 0014_segments
Revises: 0013_participant_questions
"""

import sqlalchemy as sa
from alembic import op

from consult import tally_triggers

revision = "0014_segments"
down_revision = "0013_participant_questions"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_segments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("code", name=op.f("uq_segments_code")),
        sa.UniqueConstraint(
            "conversation_id", "name", name=op.f("uq_segments_conversation_id_name")
        ),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", _ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_participants_segment_id"), ["segment_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_participants_segment_id_segments"),
            "segments",
            ["segment_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # SQLite rebuilds participants for the batch, which drops the tally triggers (0008).
    tally_triggers.install(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_participants_segment_id_segments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_participants_segment_id"))
        batch_op.drop_column("segment_id")
    tally_triggers.install(op.get_bind())  # SQLite rebuilt the table without them
    op.drop_table("segments")
