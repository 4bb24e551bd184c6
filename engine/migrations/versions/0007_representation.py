"""representation: a company or a person a citizen acts for, with a proof the registry checks

Companies added before this revision had no proof: they become `pending` with none, so they
cannot be used for a request until their holder sends a proof and the registry accepts it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="company")
        )
        batch_op.alter_column("cui", existing_type=sa.String(length=12), nullable=True)
        batch_op.add_column(sa.Column("cnp_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cnp_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "pending",
                    "accepted",
                    "refused",
                    name="representationstatus",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="pending",  # rows from before: no proof, so not accepted
            )
        )
        batch_op.add_column(sa.Column("proof_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("proof_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("proof_mime", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_companies_decided_by_id_users"), "users", ["decided_by_id"], ["id"]
        )
        batch_op.create_unique_constraint("uq_companies_user_cnp", ["user_id", "cnp_hash"])
        batch_op.create_index("ix_companies_status", ["status", "id"], unique=False)
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("ix_companies_status")
        batch_op.drop_constraint("uq_companies_user_cnp", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_companies_decided_by_id_users"), type_="foreignkey")
        for column in (
            "decided_at", "decided_by_id", "reason", "proof_mime", "proof_name",
            "proof_sha256", "status", "cnp_hash", "cnp_encrypted", "kind",
        ):  # fmt: skip
            batch_op.drop_column(column)
        batch_op.execute("DELETE FROM companies WHERE cui IS NULL")
        batch_op.alter_column("cui", existing_type=sa.String(length=12), nullable=False)
