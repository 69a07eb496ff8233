"""other reasons: the candidate intents of an inquiry the classifier abstained on (reason "unclear"), so the
card can offer a one-click re-route to each of them

Revision ID: 0010_other_reasons
Revises: 0005_rollups
Create Date: 2026-12-06 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010_other_reasons"
# The head on main: file 0009_rollups.py holds revision "0005_rollups".
down_revision: str | None = "0005_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: inquiries understood before this revision simply show no candidates.
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidates", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_column("candidates")
