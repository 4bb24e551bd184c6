"""registry: channels, issuer references, scans, search; requests without an account; conexare

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
# File names follow the chain (down_revision) order; revision ids never change once
# released: databases keep them in alembic_version.
branch_labels = None
depends_on = None


# Before: any column but the hash of an entry without a request could be changed. Now only
# that entry's request_id may be filled in, every other column staying as it was.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION circuit_append_only() RETURNS trigger AS $$
DECLARE
    probe registry_entries%ROWTYPE;
BEGIN
    IF TG_TABLE_NAME = 'registry_entries' AND TG_OP = 'UPDATE' AND OLD.request_id IS NULL THEN
        probe := NEW;
        probe.request_id := NULL;
        IF to_jsonb(probe) = to_jsonb(OLD) THEN
            RETURN NEW;  -- linking the entry to the request created in the same transaction
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_absences_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_absences_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index("ix_absences_user", ["user_id", "ends_on"], unique=False)

    with op.batch_alter_table("registry_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("issuer_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("issuer_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("pages", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("annexes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("documents", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_registry_entries_idempotency_key"), ["idempotency_key"]
        )

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.alter_column("applicant_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("issuer_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("issuer_contact", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("reply_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("joined_to_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_requests_joined_to_id"), ["joined_to_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_requests_joined_to_id_requests"), "requests", ["joined_to_id"], ["id"]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        initial = import_module("engine.migrations.versions.0001_initial_schema")
        op.execute(initial.APPEND_ONLY_FUNCTION)
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_requests_joined_to_id_requests"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_requests_joined_to_id"))
        batch_op.drop_column("joined_to_id")
        batch_op.drop_column("reply_by")
        batch_op.drop_column("issuer_contact")
        batch_op.drop_column("issuer_name")
        batch_op.alter_column("applicant_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("registry_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_registry_entries_idempotency_key"), type_="unique")
        for column in (
            "idempotency_key",
            "search_text",
            "documents",
            "annexes",
            "pages",
            "issuer_date",
            "issuer_number",
            "channel",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index("ix_absences_user")
    op.drop_table("absences")
