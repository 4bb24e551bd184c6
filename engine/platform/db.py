"""Database engine, sessions and the declarative base."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from engine.platform.datadir import private_file, sqlite_file
from engine.platform.dispatch import JobSession

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every mapped table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# An execution option: a session bound with it does not take SQLite's write lock up front.
_DEFERRED = "circuit_deferred_write_lock"
# Per DBAPI connection: whether its open transaction holds SQLite's write lock.
_HOLDS_LOCK = "circuit_holds_write_lock"
# The first word of statements that neither write nor lock (anything else takes the lock).
_READING_WORDS = frozenset(
    {
        "SELECT",
        "WITH",
        "VALUES",
        "EXPLAIN",
        "BEGIN",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "PRAGMA",
    }
)


def _takes_write_lock(statement: str, context: Any) -> bool:
    """Tell whether a statement writes, or reads FOR UPDATE (the caller means to write)."""
    if context is not None and getattr(context, "compiled", None) is not None:
        if context.isinsert or context.isupdate or context.isdelete or context.isddl:
            return True
        if getattr(context.compiled.statement, "_for_update_arg", None) is not None:
            return True
    words = statement.lstrip().split(None, 1)
    return bool(words) and words[0].upper() not in _READING_WORDS


def _take_write_lock(conn: Any) -> None:
    """Turn a reading transaction into a writing one: end the snapshot, take the lock.

    SQLite cannot upgrade a reader whose snapshot is stale (another writer committed since):
    it fails at once with SQLITE_BUSY, whatever the busy timeout. Ending the reading
    transaction (it wrote nothing) and beginning an IMMEDIATE one waits for the lock like
    any writer and then sees the newest data: what READ COMMITTED gives PostgreSQL, where
    SELECT ... FOR UPDATE reads the newest committed row."""
    if conn.in_nested_transaction():
        raise RuntimeError("a savepoint inside a reading transaction cannot take the write lock")
    raw = conn.connection.dbapi_connection
    raw.execute("COMMIT")
    conn.info[_HOLDS_LOCK] = True  # before BEGIN: if the lock is refused, nothing is open
    raw.execute("BEGIN IMMEDIATE")


def _configure_sqlite(engine: Engine) -> None:
    """Let readers run beside the one writer (WAL), and serialise writers instead of failing them.

    A transaction for a unit of work that writes begins IMMEDIATE: it takes the write lock at
    once, so reading and then writing never fails halfway with SQLITE_BUSY, and the busy
    timeout queues writers. A reading transaction (`Database.session(for_write=False)`) begins
    DEFERRED and takes no lock; should it write or lock a row after all (an access-log entry
    on a page that only reads, the runtime's lock of an instance), it takes the write lock
    first, as above."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_DEFERRED):
            conn.info[_HOLDS_LOCK] = False
            conn.exec_driver_sql("BEGIN")
        else:
            conn.info[_HOLDS_LOCK] = True
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(
        conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if conn.info.get(_HOLDS_LOCK, True) or not conn.in_transaction():
            return
        if _takes_write_lock(statement, context):
            _take_write_lock(conn)


class Database:
    """An engine with its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if (path := sqlite_file(url)) is not None and path.parent.is_dir():
            private_file(path)  # before SQLite makes it 0644; its -wal and -shm copy this mode
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
            # JIT compiling takes 100+ ms for a list query that runs in 10 ms: not for OLTP.
            kwargs["connect_args"] = {"options": "-c jit=off", "connect_timeout": 5}
        self.engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessionmaker = sessionmaker(self.engine, class_=JobSession, expire_on_commit=False)
        # The same pool; on SQLite its transactions begin without the write lock.
        self.reading_engine = self.engine.execution_options(**{_DEFERRED: True})

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, for_write: bool = True) -> Session:
        """Open a session; `for_write=False` for a unit of work that (almost) only reads.

        On SQLite a reading session runs beside other readers and beside the writer; if it
        writes after all, it takes the write lock before its first write or FOR UPDATE
        read, and from then on sees the newest data. On PostgreSQL both are the same."""
        if for_write:
            return self.sessionmaker()
        return self.sessionmaker(bind=self.reading_engine)

    @contextmanager
    def transaction(self, *, for_write: bool = True) -> Iterator[Session]:
        """Yield a session committed at the end, rolled back on error."""
        session = self.session(for_write=for_write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
