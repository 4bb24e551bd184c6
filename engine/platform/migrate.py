"""Apply Alembic migrations (idempotent) for the configured database."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from engine.platform.db import Base, Database

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
# PostgreSQL's transaction-scoped advisory lock that serialises upgrades: two nodes started
# at once must not both create the same table. (SQLite's write lock does it there.)
MIGRATE_LOCK_KEY = 0x4D494752  # "MIGR"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision."""
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@lru_cache(maxsize=1)
def _revisions() -> tuple[str | None, frozenset[str]]:
    """The newest revision the code knows, and all it knows (read from the files once)."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = frozenset(s.revision for s in scripts.walk_revisions("base", "heads"))
    return scripts.get_current_head(), known


def schema_state(conn: Connection) -> str:
    """Say where the database's schema is against the code's migrations: "current";
    "behind" (`circuit db upgrade` not run yet); or "ahead" (a newer release upgraded it
    while this process runs the older code, as during a rolling restart)."""
    at = MigrationContext.configure(conn).get_current_revision()
    head, known = _revisions()
    if at == head:
        return "current"
    return "behind" if at is None or at in known else "ahead"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Tell Alembic's comparison to leave alone what migrations keep beside the models: the
    names the models list in `Base.metadata.info["beside_models"]` (a full-text index's
    tables, a generated column), and the tables whose names start with one of them."""
    beside: set[str] = Base.metadata.info.get("beside_models", set())
    return not (reflected and name and any(name.startswith(prefix) for prefix in beside))
