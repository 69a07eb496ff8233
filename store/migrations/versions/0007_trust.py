"""trust: sender domain and erasure columns, indexes for the abuse limits, append-only audit log

Revision ID: 0003_trust
Revises: 0006_slack_states
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003_trust"
down_revision: str | None = "0006_slack_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL refuses any UPDATE or DELETE of an audit row, whoever asks (the application never does either).
# TRUNCATE (rebuilding the demo store with `db seed --reset`) is a statement-level operation and not covered.
_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def upgrade() -> None:
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sender_domain",
                sqlmodel.sql.sqltypes.AutoString(length=255),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_inquiry_sender_created", ["sender", "created_at"], unique=False)
        batch_op.create_index("ix_inquiry_domain_created", ["sender_domain", "created_at"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_id"), ["message_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_id"))
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiry_domain_created")
        batch_op.drop_index("ix_inquiry_sender_created")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("sender_domain")
