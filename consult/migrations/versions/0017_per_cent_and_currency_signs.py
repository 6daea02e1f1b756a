"""per cent and currency signs in statement comparison: "10%" is not "10", nor "€2" "$2"

The normalisation now keeps %, ‰, ‱ and every currency sign (Unicode category Sc) as
words, beside the signs of 0016. Stored texts are normalised again by this release's rule.

Revision ID: 0017_per_cent_and_currency
Revises: 0016_signs_in_comparison
"""

from alembic import op

from consult.migrations.statement_texts import renormalise_statements

revision = "0017_per_cent_and_currency"
down_revision = "0016_signs_in_comparison"
branch_labels = None
depends_on = None


def upgrade() -> None:
    renormalise_statements(op.get_bind())


def downgrade() -> None:
    pass  # the old normalisation folded these signs away; texts with them stay as they are
