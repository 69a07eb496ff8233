"""understanding columns: the inquiry's language and why a non-inquiry is "other"

Revision ID: 0003_understanding
Revises: 0003_trust
Create Date: 2026-12-06 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003_understanding"
down_revision: str | None = "0003_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        # Existing inquiries were all understood as Japanese: the server default fills them.
        batch_op.add_column(
            sa.Column(
                "language",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="ja",
            )
        )
        batch_op.add_column(
            sa.Column("other_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_column("other_reason")
        batch_op.drop_column("language")
