"""The Alembic migrations build exactly the schema the models describe, on each database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.platform.db import Base
from engine.platform.migrate import alembic_config, upgrade


def test_migrations_match_the_models_and_upgrade_is_idempotent(backend):
    upgrade(backend.db)  # already at head: nothing to do, no error
    with backend.db.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        head = ScriptDirectory.from_config(alembic_config(backend.url)).get_current_head()
        assert context.get_current_revision() == head
        assert compare_metadata(context, Base.metadata) == []
