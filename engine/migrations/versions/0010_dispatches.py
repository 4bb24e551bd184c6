"""dispatches: how an answer to someone without an account was sent (post, e-mail, in person)

Answers registered before this revision get no row: nothing recorded that they were sent (an
e-mail to someone without an account was never sent), so they wait in the registry's
Expediere list, where the registry confirms how each one went.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatched_by_id"], ["users.id"], name=op.f("fk_dispatches_dispatched_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["registry_entries.id"],
            name=op.f("fk_dispatches_entry_id_registry_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_dispatches_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_dispatches_entry_id")),
    )
    with op.batch_alter_table("dispatches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatches_request_id"), ["request_id"], unique=False)
    # Like the register it completes, a dispatch is written once: PostgreSQL refuses changes.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER dispatches_append_only BEFORE UPDATE OR DELETE ON dispatches "
            "FOR EACH ROW EXECUTE FUNCTION circuit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dispatches_append_only ON dispatches")
    with op.batch_alter_table("dispatches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatches_request_id"))
    op.drop_table("dispatches")
