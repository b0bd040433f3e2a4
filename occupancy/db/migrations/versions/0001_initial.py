"""The schema before migrations: register units, detection runs and flags.

Databases made before Alembic (by ``create_all``) are stamped at this revision by
``occupancy.db.migrate`` instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("grid", sa.String(64), nullable=False),
        sa.Column("building", sa.String(32), nullable=False),
        sa.Column("entrance", sa.String(32), nullable=False),
        sa.Column("floor", sa.String(16), nullable=False),
        sa.Column("room", sa.String(32), nullable=False),
        sa.Column("registered_occupants", sa.Integer(), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_units_community", "units", ["community"])
    op.create_index("ix_units_grid", "units", ["grid"])

    op.create_table(
        "detection_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("units_scored", sa.Integer(), nullable=False),
        sa.Column("flags_raised", sa.Integer(), nullable=False),
    )

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("evidence_text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("detection_runs.id"), nullable=True),
        sa.Column("first_raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_raised_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("unit_id", "community", "kind", "state"):
        op.create_index(f"ix_flags_{column}", "flags", [column])


def downgrade() -> None:
    op.drop_table("flags")
    op.drop_table("detection_runs")
    op.drop_table("units")
