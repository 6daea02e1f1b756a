"""conversations.source: where an imported consultation's data came from and the attribution
its licence asks for, kept with every copy (report, exports)

Revision ID: 0019_conversation_source
Revises: 0018_api_token_ids
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_conversation_source"
down_revision = "0018_api_token_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_column("source")
