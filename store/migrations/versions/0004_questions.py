"""questions: what the customer already said in a thread (inquiry.said, read by intents.questions)

Revision ID: 0003_questions
Revises: 0003_outbox_lease
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_questions"
down_revision: str | None = "0003_outbox_lease"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("said", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_column("said")
