"""Indexes for the register's page and the inbox's count at a million open requests

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

At 1,000,000 open requests (scripts/bench.py --inbox-rows 1000000) the register's page took
0.45 s and an inbox's count 0.14 s, each a sequential scan:
- a page's requests are found by their entry (requests.registry_entry_id), an answer's by
  its entry (requests.answer_entry_id), and the answers to a page's lines by the line they
  link to (registry_entries.linked_year, linked_number): none of these had an index;
- the register's total counts the lines of a period (registry_entries.registered_on);
- an inbox's count reads department, role and claim of every READY task of its departments:
  ix_tasks_ready_count holds all three, so the count reads the index alone. It replaces
  ix_tasks_ready_department (its first column, with the same condition).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

READY = sa.text("state = 'ready'")


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch_op:
        batch_op.create_index("ix_requests_registry_entry", ["registry_entry_id"], unique=False)
        batch_op.create_index("ix_requests_answer_entry", ["answer_entry_id"], unique=False)
    with op.batch_alter_table("registry_entries") as batch_op:
        batch_op.create_index("ix_registry_entries_registered_on", ["registered_on"], unique=False)
        batch_op.create_index(
            "ix_registry_entries_linked", ["linked_year", "linked_number"], unique=False
        )
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.create_index(
            "ix_tasks_ready_count",
            ["department", "role", "claimed_by_id"],
            unique=False,
            postgresql_where=READY,
            sqlite_where=READY,
        )
        batch_op.drop_index("ix_tasks_ready_department")


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.create_index(
            "ix_tasks_ready_department",
            ["department"],
            unique=False,
            postgresql_where=READY,
            sqlite_where=READY,
        )
        batch_op.drop_index("ix_tasks_ready_count")
    with op.batch_alter_table("registry_entries") as batch_op:
        batch_op.drop_index("ix_registry_entries_linked")
        batch_op.drop_index("ix_registry_entries_registered_on")
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_index("ix_requests_answer_entry")
        batch_op.drop_index("ix_requests_registry_entry")
