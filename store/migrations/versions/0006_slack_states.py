"""slack states: an inquiry can be snoozed until a time (waiting for the customer is a flag)

Revision ID: 0006_slack_states
Revises: 0003_incidents
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_slack_states"
down_revision: str | None = "0003_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_column("snoozed_until")
