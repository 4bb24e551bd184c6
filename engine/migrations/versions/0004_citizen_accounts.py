"""citizen accounts: encrypted CNP, e-mail confirmation, companies, single-use links, access log

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"  # 0003_sessions_and_token_stamps.py
# File names follow the chain (down_revision) order; revision ids never change once
# released: databases keep them in alembic_version.
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cui", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_companies_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("user_id", "cui", name="uq_companies_user_cui"),
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_companies_user_id"), ["user_id"], unique=False)

    op.create_table(
        "used_links",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_used_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_links")),
    )
    with op.batch_alter_table("used_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_links_user_id"), ["user_id"], unique=False)

    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_access_log_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["users.id"], name=op.f("fk_access_log_official_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_access_log_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["users.id"], name=op.f("fk_access_log_subject_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_subject", ["subject_id", "id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cnp_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cnp_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("id_document_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_users_cnp_hash"), ["cnp_hash"])
    _encrypt_clear_cnps()
    # Accounts made before e-mail confirmation existed were made or vouched for by hand.
    op.execute(sa.text("UPDATE users SET email_verified_at = created_at"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("cnp")

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("company_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_requests_company_id_companies"), "companies", ["company_id"], ["id"]
        )


def _encrypt_clear_cnps() -> None:
    """Move CNPs kept in clear into the encrypted column, with their keyed hash."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, cnp FROM users WHERE cnp IS NOT NULL")).all()
    if not rows:
        return
    from engine.people import personal

    vault = personal.vault()
    for user_id, cnp in rows:
        conn.execute(
            sa.text("UPDATE users SET cnp_encrypted = :enc, cnp_hash = :h WHERE id = :id"),
            {"enc": vault.encrypt(cnp), "h": vault.lookup_hash(cnp), "id": user_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_requests_company_id_companies"), type_="foreignkey")
        batch_op.drop_column("company_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cnp", sa.String(length=13), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_users_cnp_hash"), type_="unique")
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("id_document_encrypted")
        batch_op.drop_column("birth_date")
        batch_op.drop_column("cnp_hash")
        batch_op.drop_column("cnp_encrypted")
    op.drop_table("access_log")
    op.drop_table("used_links")
    op.drop_table("companies")
