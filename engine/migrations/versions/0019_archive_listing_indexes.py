"""archive_documents: indexes for a listing by filters alone, newest first

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

A search without words lists the documents its filters leave, by date, newest first
(engine/archive/search.py). At a million documents that sorted every match: 0.5 s for the
whole archive, 0.3 s for a year, 1 s for a type (lower(doc_type), which no index held).
Each index below gives a filter's documents already in that order, so the first page is
read, not sorted. PostgreSQL says NULLS LAST as the query does; SQLite puts NULLs first in
ascending order, so last in descending order, by itself. The type's index, on an expression,
is PostgreSQL's only: SQLAlchemy cannot reflect one on SQLite (the embedded default, for a
city hall's archive of thousands, not millions).
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# name -> the columns before the listing's order (kept beside the models: see models.py)
INDEXES = {
    "ix_archive_documents_listing": "",
    "ix_archive_documents_listing_year": "year, ",
    "ix_archive_documents_listing_type": "lower(doc_type), ",
    "ix_archive_documents_listing_department": "department, ",
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    order = "doc_date DESC NULLS LAST, id DESC" if postgresql else "doc_date DESC, id DESC"
    for name, before in INDEXES.items():
        if "(" in before and not postgresql:
            continue
        op.execute(f"CREATE INDEX {name} ON archive_documents ({before}{order})")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
