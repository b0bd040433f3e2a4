"""Register history, accounts, the review workflow and the audit log.

- ``units`` gains the top of the address (district, street), move-in and move-out dates and
  ``simulated`` (the only units a tester account sees); ``unit_versions`` is its history.
- ``users``, ``api_tokens``, ``web_sessions`` and ``login_attempts``: sign-in.
- ``flags`` gains the review workflow (assignment, visit outcome, dismissal, closing) and
  ``flag_events`` its history. The old closed state ``resolved`` becomes ``closed``.
- ``audit_events``: who viewed or changed what.

``audit_events``, ``unit_versions`` and ``flag_events`` are append-only: triggers refuse
UPDATE and DELETE (and TRUNCATE on PostgreSQL; on SQLite also INSERT OR REPLACE of an
existing row, which deletes it without firing DELETE triggers), so not even a bug in this
code can rewrite history. Only dropping the trigger (a schema change, by the database owner)
lifts that.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Tables whose rows are never changed or removed once written.
APPEND_ONLY = ("audit_events", "unit_versions", "flag_events")
#: The PostgreSQL trigger function every append-only table shares.
PG_FUNCTION = "occupancy_append_only"

#: The old ``resolved`` maps to ``closed``. ``acknowledged`` had a label but no code ever set
#: it; a row with it (edited by hand) was never handed to anyone, so it is ``new`` again.
STATE_RENAMES = {"resolved": "closed", "acknowledged": "new"}


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("district", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("street", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("move_in", sa.Date(), nullable=True))
        batch.add_column(sa.Column("move_out", sa.Date(), nullable=True))
        batch.add_column(sa.Column("simulated", sa.Boolean(), nullable=False, server_default="0"))
        batch.create_index("ix_units_simulated", ["simulated"])

    op.create_table(
        "unit_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_unit_versions_unit_id", "unit_versions", ["unit_id"])
    op.create_index("ix_unit_versions_community", "unit_versions", ["community"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("grid", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_users_community", "users", ["community"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    op.create_index("ix_login_attempts_address", "login_attempts", ["address"])

    # SQLite cannot add a foreign key to an existing table: batch mode copies the table,
    # which needs the keys named (as PostgreSQL would name them).
    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(32), nullable=True))
        batch.add_column(sa.Column("outcome_note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("visited_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dismiss_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_flags_assigned_to_id", ["assigned_to_id"])
        for column in ("assigned_to_id", "visited_by_id"):
            batch.create_foreign_key(f"flags_{column}_fkey", "users", [column], ["id"])

    flags = sa.table(
        "flags",
        sa.column("state", sa.String),
        sa.column("closed_at", sa.DateTime),
        sa.column("last_raised_at", sa.DateTime),
    )
    for old, new in STATE_RENAMES.items():
        values = {"state": new}
        if new == "closed":  # closed when last seen: the best the old record knows
            values["closed_at"] = flags.c.last_raised_at
        op.execute(flags.update().where(flags.c.state == old).values(**values))

    op.create_table(
        "flag_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flag_id", sa.Integer(), sa.ForeignKey("flags.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        # The run and P(occupied) the flag showed at that moment (labels judge the visit).
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("detection_runs.id"), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
    )
    op.create_index("ix_flag_events_flag_id", "flag_events", ["flag_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("object_type", sa.String(16), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    for column in ("at", "action", "object_type", "object_id"):
        op.create_index(f"ix_audit_events_{column}", "audit_events", [column])

    create_append_only_triggers()


def downgrade() -> None:
    drop_append_only_triggers()
    op.drop_table("audit_events")
    op.drop_table("flag_events")
    with op.batch_alter_table("flags") as batch:
        batch.drop_index("ix_flags_assigned_to_id")
        for column in ("assigned_to_id", "visited_by_id"):
            batch.drop_constraint(f"flags_{column}_fkey", type_="foreignkey")
        for column in (
            "closed_at",
            "dismiss_reason",
            "visited_by_id",
            "visited_at",
            "outcome_note",
            "outcome",
            "assigned_at",
            "assigned_to_id",
        ):
            batch.drop_column(column)
    op.drop_table("login_attempts")
    op.drop_table("web_sessions")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("unit_versions")
    with op.batch_alter_table("units") as batch:
        batch.drop_index("ix_units_simulated")
        for column in ("simulated", "move_out", "move_in", "street", "district"):
            batch.drop_column(column)


def create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
            )
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {event} refused'); END"
                )
            # INSERT OR REPLACE removes the old row without firing DELETE triggers (unless
            # recursive_triggers is on), so a replacing insert is refused before it runs.
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
            )
    else:  # another database works, without the guard; say so rather than pretend
        import logging

        logging.getLogger("alembic").warning(
            "no append-only triggers for %s on %s", ", ".join(APPEND_ONLY), dialect
        )


def drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for event in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
