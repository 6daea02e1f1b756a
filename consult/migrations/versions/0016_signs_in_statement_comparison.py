"""signs in statement comparison: "+10%" and "-10%" are no longer the same statement

Statements are compared by their normalised text (and its hash); the normalisation now
keeps signs (+, a minus or dash before a number, <, >, ≤, ≥, ±, the stroke of ≠ and ≮) as
words. Stored texts are normalised again, so that new statements are compared with them by
the same rule: this release's `normalize_for_comparison` (a later change to it needs a
migration of its own).

Revision ID: 0016_signs_in_comparison
Revises: 0015_question_targets
"""

from alembic import op

from consult.migrations.statement_texts import renormalise_statements

revision = "0016_signs_in_comparison"
down_revision = "0015_question_targets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    renormalise_statements(op.get_bind())


def downgrade() -> None:
    pass  # the old normalisation folded signs away; texts with signs stay as they are now
