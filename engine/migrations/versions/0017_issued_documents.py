"""issued_documents: signed documents the city hall issues, found by a verification code

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("verification_code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("registry_entry_id", sa.Integer(), nullable=True),
        sa.Column("registration", sa.String(length=32), nullable=True),
        sa.Column("issued_to", sa.String(length=300), nullable=False),
        sa.Column("signatory", sa.String(length=300), nullable=True),
        sa.Column("signer", sa.String(length=300), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timestamped", sa.Boolean(), nullable=False),
        sa.Column("development_key", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("annexes", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_issued_documents_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_issued_documents_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["registry_entry_id"],
            ["registry_entries.id"],
            name=op.f("fk_issued_documents_registry_entry_id_registry_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint("document_id", name=op.f("uq_issued_documents_document_id")),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_issued_documents_verification_code")
        ),
    )
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_documents_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_issued_documents_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_documents_sha256"))
        batch_op.drop_index(batch_op.f("ix_issued_documents_request_id"))
    op.drop_table("issued_documents")
