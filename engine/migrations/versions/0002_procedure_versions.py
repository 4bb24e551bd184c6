"""versions keep their forms and catalog entry; each procedure has a current version

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
# File names follow the chain (down_revision) order; revision ids never change once
# released: databases keep them in alembic_version.
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("procedure", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("called_sources", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("catalog_entry", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("forms", sa.JSON(), nullable=True))
    # Versions deployed before keep running with the folders' forms and catalog entry.
    op.execute(
        "UPDATE process_versions SET procedure = process_id, called_sources = '{}', "
        "catalog_entry = '{}', forms = '{}'"
    )
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.alter_column("procedure", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("called_sources", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("catalog_entry", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("forms", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint("uq_process_versions_content_hash", type_="unique")
        batch_op.create_unique_constraint(
            "uq_process_versions_identity", ["procedure", "process_id", "content_hash"]
        )
        batch_op.create_index(
            batch_op.f("ix_process_versions_procedure"), ["procedure"], unique=False
        )
    op.create_table(
        "procedures",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_version_id"],
            ["process_versions.id"],
            name=op.f("fk_procedures_current_version_id_process_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
    )


def downgrade() -> None:
    op.drop_table("procedures")
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_versions_procedure"))
        batch_op.drop_constraint("uq_process_versions_identity", type_="unique")
        batch_op.create_unique_constraint("uq_process_versions_content_hash", ["content_hash"])
        batch_op.drop_column("forms")
        batch_op.drop_column("catalog_entry")
        batch_op.drop_column("called_sources")
        batch_op.drop_column("procedure")
