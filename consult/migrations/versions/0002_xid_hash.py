"""participants.xid becomes xid_hash: keep only a keyed hash of each external id

An xid is now a credential Consult signs, and the database keeps only an HMAC of it
(consult.security.hash_xid), keyed from SECRET_KEY. A migration cannot reliably reach that
key, so the plain xids already stored are dropped rather than hashed: their participants
stay (with their votes) as anonymous ones. Consult is pre-release, with no deployed data.
Downgrading cannot bring the xids back either: xid comes back empty.

Revision ID: 0002_xid_hash
Revises: 800bdb87dcdd
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_xid_hash"
down_revision = "800bdb87dcdd"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite can only drop a column or a constraint by copying the table.
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint("uq_participants_conversation_id_xid", type_="unique")
        batch_op.drop_column("xid")
        batch_op.add_column(sa.Column("xid_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_participants_conversation_id_xid_hash", ["conversation_id", "xid_hash"]
        )


def downgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint("uq_participants_conversation_id_xid_hash", type_="unique")
        batch_op.drop_column("xid_hash")
        batch_op.add_column(sa.Column("xid", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            "uq_participants_conversation_id_xid", ["conversation_id", "xid"]
        )
