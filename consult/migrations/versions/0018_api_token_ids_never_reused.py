"""API token ids are never given again on SQLite: `consult users revoke-token EMAIL ID`, run
twice, must not revoke a newer token

SQLite gives a deleted row's id (the highest) to the next row unless the table is declared
AUTOINCREMENT; revoking deletes the token's row. PostgreSQL's sequences never reuse ids.

Revision ID: 0018_api_token_ids
Revises: 0017_per_cent_and_currency
"""

from alembic import op

revision = "0018_api_token_ids"
down_revision = "0017_per_cent_and_currency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)


def _rebuild(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "api_tokens", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
