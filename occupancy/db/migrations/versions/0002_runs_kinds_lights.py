"""Detection runs say what started them and how they ended; the night-count record.

``detection_runs`` gains ``kind`` (nightly, welfare, manual), the flags a run created,
updated and withdrew, and the error a failed run ended with. ``lights_observations`` keeps
every night-count observation for people (occupancy/lights/record.py).

Databases made before Alembic may already have either part: the run columns were added by
hand (the scheduler printed the ALTER TABLE statements) and the lights table was created on
first use. Each part is added only where missing, so such a database stamped at 0001 comes
out the same as a new one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def run_columns() -> list[sa.Column]:
    """Columns added to ``detection_runs``; existing runs were manual (``occupancy detect``)."""
    return [
        sa.Column("kind", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("flags_created", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("flags_updated", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("flags_withdrawn", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("detection_runs")}
    indexes = {i["name"] for i in inspector.get_indexes("detection_runs")}
    with op.batch_alter_table("detection_runs") as batch:
        for column in run_columns():
            if column.name not in have:
                batch.add_column(column)
        if "ix_detection_runs_kind" not in indexes:
            batch.create_index("ix_detection_runs_kind", ["kind"])

    if not inspector.has_table("lights_observations"):
        op.create_table(
            "lights_observations",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("unit_id", sa.String(64), nullable=False),
            sa.Column("ts", sa.Float(), nullable=False),
            sa.Column("community", sa.String(64), nullable=False),
            sa.Column("building", sa.String(32), nullable=False),
            sa.Column("lit", sa.Boolean(), nullable=False),
            sa.Column("observer", sa.String(64), nullable=False),
            sa.Column("note", sa.String(200), nullable=False),
            sa.Column("source", sa.String(200), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("unit_id", "ts", name="uq_lights_observation"),
        )
        op.create_index("ix_lights_observations_ts", "lights_observations", ["ts"])
        op.create_index("ix_lights_observations_community", "lights_observations", ["community"])


def downgrade() -> None:
    op.drop_table("lights_observations")
    with op.batch_alter_table("detection_runs") as batch:
        batch.drop_index("ix_detection_runs_kind")
        for column in reversed(run_columns()):
            batch.drop_column(column.name)
