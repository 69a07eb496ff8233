"""incidents: outage reports of one grid area grouped for one approval (desk/incidents.py)

Revision ID: 0003_incidents
Revises: 0003_questions
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_incidents"
down_revision: str | None = "0003_questions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('open', 'approved')"


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_area", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("utility", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_report_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_report_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("approved_text_en", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slack_card", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_active_area",
            ["grid_area"],
            unique=True,
            postgresql_where=sa.text(_ACTIVE),
            sqlite_where=sa.text(_ACTIVE),
        )
        batch_op.create_index("ix_incident_opened", ["opened_at"], unique=False)
    op.create_table(
        "incident_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("blocked", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiry.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inquiry_id"),
        sa.UniqueConstraint("outbox_id"),
    )
    with op.batch_alter_table("incident_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_member_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_member_incident_id"))
    op.drop_table("incident_member")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_opened")
        batch_op.drop_index("ix_incident_active_area")
    op.drop_table("incident")
