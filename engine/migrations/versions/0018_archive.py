"""archive_documents and archive_decisions: the digital archive, with full-text search

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

PostgreSQL: a generated tsvector (config `simple`, no stemming, over an immutable wrapper of
`unaccent`) with a GIN index. SQLite: an FTS5 table over the same columns, with
`unicode61 remove_diacritics 2`, kept in step by triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

FTS_COLUMNS = "title, registration, issuer, doc_type, person_name, text"


def upgrade() -> None:
    op.create_table(
        "archive_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("registration", sa.String(64), nullable=True),
        sa.Column("issuer", sa.String(300), nullable=True),
        sa.Column("doc_type", sa.String(100), nullable=True),
        sa.Column("file_code", sa.String(64), nullable=True),
        sa.Column("person_name", sa.String(200), nullable=True),
        sa.Column("person_cnp_encrypted", sa.Text(), nullable=True),
        sa.Column("person_cnp_hash", sa.String(64), nullable=True),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_path", sa.String(300), nullable=False),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("ocr_status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=True),
        sa.Column(
            "registry_entry_id", sa.Integer(), sa.ForeignKey("registry_entries.id"), nullable=True
        ),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("sha256", name="uq_archive_documents_sha256"),
    )
    op.create_index("ix_archive_documents_year_type", "archive_documents", ["year", "doc_type"])
    op.create_index(
        "ix_archive_documents_file_code", "archive_documents", ["file_code", "doc_date"]
    )
    for column in ("person_cnp_hash", "document_id", "registry_entry_id", "request_id"):
        op.create_index(f"ix_archive_documents_{column}", "archive_documents", [column])
    op.create_table(
        "archive_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_search()
    else:
        _sqlite_search()


def _postgresql_search() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # unaccent() is only STABLE (it reads its dictionary by name); a generated column and an
    # index need an IMMUTABLE function, so the dictionary is named explicitly.
    op.execute(
        "CREATE OR REPLACE FUNCTION archive_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )
    op.execute(
        "ALTER TABLE archive_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', archive_unaccent(coalesce(title, ''))), 'A') || "
        "setweight(to_tsvector('simple', archive_unaccent(coalesce(registration, '') || ' ' || "
        "coalesce(issuer, '') || ' ' || coalesce(doc_type, '') || ' ' || "
        "coalesce(person_name, ''))), 'B') || "
        "setweight(to_tsvector('simple', archive_unaccent(coalesce(text, ''))), 'C')"
        ") STORED"
    )
    op.execute(
        "CREATE INDEX ix_archive_documents_search ON archive_documents USING gin (search_vector)"
    )


def _sqlite_search() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE archive_fts USING fts5({FTS_COLUMNS}, "
        "content='archive_documents', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    new = ", ".join(f"new.{c.strip()}" for c in FTS_COLUMNS.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in FTS_COLUMNS.split(","))
    op.execute(
        "CREATE TRIGGER archive_fts_insert AFTER INSERT ON archive_documents BEGIN "
        f"INSERT INTO archive_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER archive_fts_delete AFTER DELETE ON archive_documents BEGIN "
        f"INSERT INTO archive_fts(archive_fts, rowid, {FTS_COLUMNS}) "
        f"VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        "CREATE TRIGGER archive_fts_update AFTER UPDATE ON archive_documents BEGIN "
        f"INSERT INTO archive_fts(archive_fts, rowid, {FTS_COLUMNS}) "
        f"VALUES ('delete', old.id, {old}); "
        f"INSERT INTO archive_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS archive_unaccent(text) CASCADE")
    else:
        op.execute("DROP TABLE IF EXISTS archive_fts")
    op.drop_table("archive_decisions")
    op.drop_table("archive_documents")
