"""reads that do not grow: statement tallies and participant counters kept by triggers,
an index for what participants see, indexes that a composite already covered dropped

Revision ID: 0008_read_indexes
Revises: 0007_vote_request_keys
"""

import sqlalchemy as sa
from alembic import op

from consult import tally_triggers

revision = "0008_read_indexes"
down_revision = "0007_vote_request_keys"
branch_labels = None
depends_on = None

# (table, index, columns): each one's columns lead a unique constraint of the same table.
_COVERED = (
    ("participants", "ix_participants_conversation_id", ["conversation_id"]),
    ("statements", "ix_statements_conversation_id", ["conversation_id"]),
    ("votes", "ix_votes_participant_id", ["participant_id"]),
    ("analyses", "ix_analyses_conversation_id", ["conversation_id"]),
    ("conversation_shares", "ix_conversation_shares_conversation_id", ["conversation_id"]),
)

_COUNT_TALLIES = """
INSERT INTO statement_tallies (statement_id, conversation_id, n_agree, n_disagree, n_pass)
SELECT s.id, s.conversation_id,
       COALESCE(SUM(CASE WHEN v.value = 1 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN v.value = -1 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN v.value = 0 THEN 1 ELSE 0 END), 0)
FROM statements s LEFT JOIN votes v ON v.statement_id = s.id
GROUP BY s.id, s.conversation_id
"""
_COUNT_PARTICIPANTS = """
INSERT INTO conversation_counters (conversation_id, participants)
SELECT c.id, (SELECT COUNT(*) FROM participants p WHERE p.conversation_id = c.id)
FROM conversations c
"""


def upgrade() -> None:
    op.create_table(
        "statement_tallies",
        sa.Column(
            "statement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("n_agree", sa.Integer(), nullable=False),
        sa.Column("n_disagree", sa.Integer(), nullable=False),
        sa.Column("n_pass", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_statement_tallies_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_tallies_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_statement_tallies")),
    )
    op.create_index(
        op.f("ix_statement_tallies_conversation_id"), "statement_tallies", ["conversation_id"]
    )
    op.create_table(
        "conversation_counters",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_counters_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_counters")),
    )
    # Triggers first: on PostgreSQL creating them locks the tables against writes until this
    # transaction commits, so no vote falls between the count below and the triggers.
    tally_triggers.install(op.get_bind())
    op.execute(_COUNT_TALLIES)
    op.execute(_COUNT_PARTICIPANTS)

    op.create_index(
        "ix_statements_conversation_id_status", "statements", ["conversation_id", "status"]
    )
    op.drop_index("ix_statements_status", table_name="statements")
    op.create_index("ix_vote_events_statement_id", "vote_events", ["statement_id"])
    for table, index, _columns in _COVERED:
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for table, index, columns in _COVERED:
        op.create_index(index, table, columns)
    op.drop_index("ix_vote_events_statement_id", table_name="vote_events")
    op.create_index("ix_statements_status", "statements", ["status"])
    op.drop_index("ix_statements_conversation_id_status", table_name="statements")
    tally_triggers.uninstall(op.get_bind())
    op.drop_table("conversation_counters")
    op.drop_index(op.f("ix_statement_tallies_conversation_id"), table_name="statement_tallies")
    op.drop_table("statement_tallies")
