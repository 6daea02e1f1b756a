"""participants keep a keyed hash of their address prefix (for a limited time) and may be
excluded from the analysis by a facilitator, to handle brigading

Revision ID: 0010_brigading
Revises: 0009_erasure
"""

import sqlalchemy as sa
from alembic import op

from consult import tally_triggers

revision = "0010_brigading"
down_revision = "0009_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=True))
    tally_triggers.install(op.get_bind())  # in case SQLite rebuilt the table without them


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("excluded_at")
        batch_op.drop_column("address_hash")
    tally_triggers.install(op.get_bind())  # SQLite rebuilt the table without them
