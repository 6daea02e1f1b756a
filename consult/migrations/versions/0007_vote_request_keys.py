"""votes carry the client's request key, so a retried vote is logged once

Revision ID: 0007_vote_request_keys
Revises: 0006_login_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_vote_request_keys"
down_revision = "0006_login_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column and an index: no table rebuild, even on SQLite (the log is large).
    op.add_column("vote_events", sa.Column("request_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_vote_events_participant_id_request_key",
        "vote_events",
        ["participant_id", "request_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_vote_events_participant_id_request_key", table_name="vote_events")
    with op.batch_alter_table("vote_events", schema=None) as batch_op:
        batch_op.drop_column("request_key")
