"""the live page's "votes in the last minute" reads only that minute of the vote log

Revision ID: 0011_recent_votes
Revises: 0010_brigading
"""

from alembic import op

revision = "0011_recent_votes"
down_revision = "0010_brigading"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain CREATE INDEX: no table is rebuilt, so SQLite keeps the tally triggers.
    op.create_index(
        "ix_vote_events_conversation_id_created_at",
        "vote_events",
        ["conversation_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_vote_events_conversation_id_created_at", table_name="vote_events")
