"""The register (registratură): numbers unique and gap-free within a year, hash-chained."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.models import RegistryCounter, RegistryEntry
from engine.timeutil import BUCHAREST

GENESIS = "0" * 64


def _next_number(session: Session, year: int) -> int:
    """Take the next number of the year; the counter row stays locked until commit."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(RegistryCounter).values(year=year, last_number=1)
    number = session.scalar(
        stmt.on_conflict_do_update(
            index_elements=[RegistryCounter.year],
            set_={"last_number": RegistryCounter.last_number + 1},
        ).returning(RegistryCounter.last_number)
    )
    assert number is not None
    return int(number)


def entry_digest(entry: RegistryEntry) -> str:
    """Hash an entry's register columns together with the previous entry's hash."""
    payload = {
        "year": entry.year,
        "number": entry.number,
        "date": entry.registered_on.isoformat(),
        "direction": entry.direction,
        "issuer": entry.issuer,
        "recipient": entry.recipient,
        "summary": entry.summary,
        "department": entry.department,
        "linked": [entry.linked_year, entry.linked_number],
        "file_code": entry.file_code,
    }
    blob = entry.prev_hash + json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def register(
    session: Session,
    *,
    at: datetime,
    direction: str,
    issuer: str,
    summary: str,
    recipient: str | None = None,
    department: str | None = None,
    request_id: int | None = None,
    linked: RegistryEntry | None = None,
    file_code: str | None = None,
) -> RegistryEntry:
    """Write a line in the register with the next number of the year of `at` (local time)."""
    local = at.astimezone(BUCHAREST)
    number = _next_number(session, local.year)
    previous = session.scalar(
        select(RegistryEntry.entry_hash).where(
            RegistryEntry.year == local.year, RegistryEntry.number == number - 1
        )
    )
    entry = RegistryEntry(
        year=local.year,
        number=number,
        registered_on=local.date(),
        registered_at=at,
        direction=direction,
        issuer=issuer[:300],
        recipient=recipient,
        summary=summary[:500],
        department=department,
        request_id=request_id,
        linked_number=linked.number if linked else None,
        linked_year=linked.year if linked else None,
        file_code=file_code,
        prev_hash=previous or GENESIS,
        entry_hash="",
    )
    entry.entry_hash = entry_digest(entry)
    session.add(entry)
    session.flush()
    return entry
