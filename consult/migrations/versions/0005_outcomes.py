"""outcomes: how the input was used

A consultation's overall statement (one row per consultation, public once published) and
its responses, each to one statement or to one group of the latest analysis (the group's
stable id and its label at the time).

Revision ID: 0005_outcomes
Revises: 0004_live_analysis
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_outcomes"
down_revision = "0004_live_analysis"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STATUS = sa.Enum(
    "ADOPTED",
    "PARTLY_ADOPTED",
    "UNDER_CONSIDERATION",
    "NOT_TAKEN_UP",
    name="response_status",
    native_enum=False,
    length=24,
)


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_outcomes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_outcomes")),
    )
    op.create_table(
        "outcome_responses",
        sa.Column("id", _ID, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("statement_id", _ID, nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("group_label", sa.String(length=64), nullable=True),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(statement_id IS NULL AND group_id IS NOT NULL)"
            " OR (statement_id IS NOT NULL AND group_id IS NULL)",
            name=op.f("ck_outcome_responses_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_outcome_responses_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_outcome_responses_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_responses")),
        sa.UniqueConstraint(
            "conversation_id",
            "group_id",
            name=op.f("uq_outcome_responses_conversation_id_group_id"),
        ),
        sa.UniqueConstraint(
            "conversation_id",
            "statement_id",
            name=op.f("uq_outcome_responses_conversation_id_statement_id"),
        ),
    )
    # Deleting a statement cascades here: without an index that is a scan on PostgreSQL.
    with op.batch_alter_table("outcome_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_responses_statement_id"), ["statement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outcome_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_responses_statement_id"))
    op.drop_table("outcome_responses")
    op.drop_table("outcomes")
