"""question targets: the share of each answer in the population (census shares), to compare with

Revision ID: 0015_question_targets
Revises: 0014_segments
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_question_targets"
down_revision = "0014_segments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite does not rebuild the table (questions has no tally triggers).
    op.add_column("questions", sa.Column("targets", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("targets")
