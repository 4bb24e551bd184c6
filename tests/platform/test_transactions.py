"""Readers run beside each other and beside the writer; writers still queue, losing nothing.

On SQLite (a real file in WAL mode) a transaction that only reads takes no write lock, so two
page views overlap and a page is served while a request that writes holds the lock. A unit
of work that writes takes the lock at its start; a reading one that writes after all (or
locks a row FOR UPDATE) takes it first and then sees the newest data, as on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.models import RegistryCounter
from engine.platform.db import Database

YEAR = 1901  # a year no registration uses: this test's own counter row
WAIT = 30  # seconds a thread waits for the other before the test gives up on it


def _reset(db: Database, value: int = 0) -> None:
    with db.transaction() as s:
        s.execute(delete(RegistryCounter).where(RegistryCounter.year == YEAR))
        s.add(RegistryCounter(year=YEAR, last_number=value))


def _number(s: Session) -> int:
    return s.scalars(
        select(RegistryCounter.last_number)
        .where(RegistryCounter.year == YEAR)
        .execution_options(populate_existing=True)
    ).one()


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_two_slow_reads_overlap(circuit):
    db = circuit.db
    if db.is_sqlite:  # a file in WAL mode, where readers do not wait for the writer
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    _reset(db, 7)
    first_reading, second_done = threading.Event(), threading.Event()
    seen: list[int] = []

    def slow_read() -> None:
        with db.transaction(for_write=False) as s:
            seen.append(_number(s))
            first_reading.set()
            # Still inside its transaction until the second read has finished.
            assert second_done.wait(WAIT), "the second read waited for the first"

    thread, errors = _in_thread(slow_read)
    assert first_reading.wait(WAIT)
    with db.transaction(for_write=False) as s:
        seen.append(_number(s))
    second_done.set()
    thread.join(WAIT)
    assert not errors and seen == [7, 7]


def test_a_read_runs_while_a_write_holds_the_lock(circuit):
    db = circuit.db
    _reset(db, 1)
    holding, read_done = threading.Event(), threading.Event()

    def slow_write() -> None:
        with db.transaction() as s:
            s.get_one(RegistryCounter, YEAR).last_number = 2
            s.flush()  # written, not committed: on SQLite the write lock is held from here
            holding.set()
            assert read_done.wait(WAIT), "the read waited for the write"

    thread, errors = _in_thread(slow_write)
    assert holding.wait(WAIT)
    with db.transaction(for_write=False) as s:
        during = _number(s)  # the last committed number, not the one being written
    read_done.set()
    thread.join(WAIT)
    assert not errors and during == 1
    with db.transaction(for_write=False) as s:
        assert _number(s) == 2


def test_a_page_view_is_served_while_a_request_writes(app, circuit, api_for):
    headers = api_for("citizen")
    db = circuit.db
    _reset(db, 1)
    holding, page_done = threading.Event(), threading.Event()

    def slow_write() -> None:
        with db.transaction() as s:
            s.get_one(RegistryCounter, YEAR).last_number = 2
            s.flush()
            holding.set()
            assert page_done.wait(WAIT), "the page waited for the write"

    thread, errors = _in_thread(slow_write)
    assert holding.wait(WAIT)
    page = app.test_client().get("/api/v1/requests", headers=headers)
    page_done.set()
    thread.join(WAIT)
    assert not errors
    assert page.status_code == 200 and page.get_json()["requests"] == []


def _increment(db: Database, for_write: bool) -> None:
    with db.transaction(for_write=for_write) as s:
        row = s.scalars(
            select(RegistryCounter)
            .where(RegistryCounter.year == YEAR)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        row.last_number += 1


def test_concurrent_writers_are_serialised_and_no_update_is_lost(circuit):
    """Writing units and reading units that lock the row to write, all at once."""
    db = circuit.db
    _reset(db)
    kinds = [True, False] * 12
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda for_write: _increment(db, for_write), kinds))
    with db.transaction(for_write=False) as s:
        assert _number(s) == len(kinds)


def test_a_reader_that_writes_after_another_commit_sees_it_and_loses_nothing(circuit):
    """The read snapshot is older than the other's commit: SQLite would refuse to upgrade
    it (SQLITE_BUSY at once); the lock taken first brings the newest number instead."""
    db = circuit.db
    _reset(db, 10)
    with db.transaction(for_write=False) as s:
        assert _number(s) == 10  # the snapshot this transaction reads from
        _increment(db, for_write=True)  # another unit of work commits 11
        row = s.scalars(
            select(RegistryCounter)
            .where(RegistryCounter.year == YEAR)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        assert row.last_number == 11
        row.last_number += 1
    with db.transaction(for_write=False) as s:
        assert _number(s) == 12


def test_a_reader_that_only_inserts_after_another_commit_succeeds(circuit):
    """A page that reads and then logs (an access-log entry): the insert takes the lock."""
    db = circuit.db
    _reset(db, 3)
    with db.transaction(for_write=False) as s:
        assert _number(s) == 3
        _increment(db, for_write=True)
        s.add(RegistryCounter(year=YEAR + 1, last_number=1))
    with db.transaction(for_write=False) as s:
        assert _number(s) == 4
        assert s.get_one(RegistryCounter, YEAR + 1).last_number == 1
        s.execute(delete(RegistryCounter).where(RegistryCounter.year == YEAR + 1))
