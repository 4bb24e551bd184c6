"""slots: each document keeps the title of the slot it was uploaded for; held uploads

Documents already stored keep `slot_title` empty: pages then name the slot from its field.
`pending_uploads` holds the good files of a refused form for their uploader, until the form
is accepted or they expire.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot_title", sa.String(length=200), nullable=True))

    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=120), nullable=False),
        sa.Column("slot", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_pending_uploads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_uploads")),
    )
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_pending_uploads_user", ["user_id", "expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_uploads_user")
    op.drop_table("pending_uploads")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("slot_title")
