"""rollups: per-day report rollups (census, minute histograms by day/month/year, draft outcomes), the
report_dirty queue and the triggers that fill it (store.rollups folds the marked days); a partial index of
the edited answered drafts for the reports' edit-distance sample

Revision ID: 0005_rollups
Revises: 0003_understanding
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005_rollups"
# The head on main: file 0004_questions.py holds revision "0003_questions".
down_revision: str | None = "0003_understanding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of store.models.ROLLUP_SOURCES as of this revision.
SOURCES = {
    "inquiry": (
        "kind",
        "received_at",
        "primary_intent",
        "channel",
        "identity_verified",
        "first_response_at",
        "resolved_at",
        "first_response_minutes",
        "resolution_minutes",
    ),
    "draft": ("received_at", "report_intent", "status", "edited"),
}


def _trigger_ddl(dialect: str) -> list[str]:
    # Same text as store.models.rollup_trigger_ddl at this revision (a migration must not change with it).
    out: list[str] = []
    if dialect == "postgresql":
        out.append(
            "CREATE OR REPLACE FUNCTION mark_report_day() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP <> 'INSERT' AND OLD.received_at IS NOT NULL THEN\n"
            "    INSERT INTO report_dirty (received_at) VALUES (OLD.received_at);\n"
            "  END IF;\n"
            "  IF TG_OP <> 'DELETE' AND NEW.received_at IS NOT NULL\n"
            "     AND (TG_OP = 'INSERT' OR NEW.received_at IS DISTINCT FROM OLD.received_at) THEN\n"
            "    INSERT INTO report_dirty (received_at) VALUES (NEW.received_at);\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        for table, columns in SOURCES.items():
            cols = ", ".join(columns)
            old = ", ".join(f"OLD.{c}" for c in columns)
            new = ", ".join(f"NEW.{c}" for c in columns)
            out.append(
                f"CREATE TRIGGER {table}_marks_report_day AFTER INSERT OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mark_report_day()"
            )
            out.append(
                f"CREATE TRIGGER {table}_change_marks_report_day AFTER UPDATE OF {cols} ON {table} "
                f"FOR EACH ROW WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) "
                "EXECUTE FUNCTION mark_report_day()"
            )
        return out
    for table, columns in SOURCES.items():
        cols = ", ".join(columns)
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        out.append(
            f"CREATE TRIGGER {table}_insert_marks_report_day AFTER INSERT ON {table} "
            "WHEN NEW.received_at IS NOT NULL BEGIN "
            "INSERT INTO report_dirty (received_at) VALUES (NEW.received_at); END"
        )
        out.append(
            f"CREATE TRIGGER {table}_delete_marks_report_day AFTER DELETE ON {table} "
            "WHEN OLD.received_at IS NOT NULL BEGIN "
            "INSERT INTO report_dirty (received_at) VALUES (OLD.received_at); END"
        )
        out.append(
            f"CREATE TRIGGER {table}_change_marks_report_day AFTER UPDATE OF {cols} ON {table} "
            f"WHEN {changed} BEGIN "
            "INSERT INTO report_dirty (received_at) SELECT OLD.received_at WHERE OLD.received_at IS NOT NULL; "
            "INSERT INTO report_dirty (received_at) SELECT NEW.received_at "
            "WHERE NEW.received_at IS NOT NULL AND NEW.received_at IS NOT OLD.received_at; END"
        )
    return out


def upgrade() -> None:
    op.create_table(
        "report_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rollup_census",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("inquiries", sa.Integer(), nullable=False),
        sa.Column("unverified", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "intent", "channel"),
    )
    op.create_table(
        "rollup_minutes",
        sa.Column("level", sa.String(length=1), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("inquiries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", "period", "part", "intent", "minutes"),
    )
    op.create_table(
        "rollup_drafts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("drafts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "intent", "status", "edited"),
    )
    edited = "edited AND status IN ('approved', 'sent')"
    # Plain CREATE INDEX, never a batch table copy: a copied table would lose the triggers below.
    op.create_index(
        "ix_draft_edited_received",
        "draft",
        ["received_at", "id", "report_intent"],
        unique=False,
        postgresql_where=sa.text(edited),
        sqlite_where=sa.text(edited),
    )
    for statement in _trigger_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SOURCES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_marks_report_day ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_change_marks_report_day ON {table}")
        op.execute("DROP FUNCTION IF EXISTS mark_report_day()")
    else:
        for table in SOURCES:
            for event in ("insert", "delete", "change"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_marks_report_day")
    op.drop_index("ix_draft_edited_received", table_name="draft")
    op.drop_table("rollup_drafts")
    op.drop_table("rollup_minutes")
    op.drop_table("rollup_census")
    op.drop_table("report_dirty")
