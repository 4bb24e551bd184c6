"""Index requests by when they were closed: the dashboards and the predicted answer date.

Revision ID: 0016
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch_op:
        batch_op.create_index("ix_requests_closed_at", ["closed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_index("ix_requests_closed_at")
