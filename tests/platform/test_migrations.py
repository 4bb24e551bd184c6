"""The Alembic migrations build exactly the schema the models describe, on each database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.platform.db import Base
from engine.platform.migrate import alembic_config, include_object, upgrade


def test_migrations_match_the_models_and_upgrade_is_idempotent(backend):
    upgrade(backend.db)  # already at head: nothing to do, no error
    with backend.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        head = ScriptDirectory.from_config(alembic_config(backend.url)).get_current_head()
        assert context.get_current_revision() == head
        assert compare_metadata(context, Base.metadata) == []


def test_migration_files_are_named_in_chain_order():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    chain = [s for s in scripts.walk_revisions("base", "heads")][::-1]  # from the first one
    assert [s.down_revision for s in chain[1:]] == [s.revision for s in chain[:-1]], "one chain"
    files = [Path(s.path).name for s in chain]
    assert files == sorted(files), "a file's name sorts where its down_revision puts it"
    assert len({name[:4] for name in files}) == len(files), "one number per file"
