"""consultations list the origins whose pages may embed them in a frame

Revision ID: 0012_embed_origins
Revises: 0011_recent_votes
"""

import sqlalchemy as sa
from alembic import op

from consult import tally_triggers

revision = "0012_embed_origins"
down_revision = "0011_recent_votes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("embed_origins", sa.JSON(), nullable=False, server_default="[]")
        )
    tally_triggers.install(op.get_bind())  # in case SQLite rebuilt the table without them


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("embed_origins")
    tally_triggers.install(op.get_bind())  # SQLite rebuilt the table without them
