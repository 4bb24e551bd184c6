"""The register (registratură): numbers unique and gap-free within a year, hash-chained."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.circuit import current
from engine.models import RegistryCounter, RegistryEntry, Request, RequestStatus
from engine.platform import metrics
from engine.platform.timeutil import BUCHAREST, as_aware, utcnow
from engine.register import key as chain_keys
from engine.register.key import ChainKey

GENESIS = "0" * 64
# One key for PostgreSQL's transaction-scoped advisory lock that serialises registrations.
REGISTER_LOCK_KEY = 0x52454749  # "REGI"
Clock = Callable[[], datetime]


@dataclass
class Intake:
    """How a document came in and the issuer's own reference, as the registry writes them."""

    channel: str = "portal"
    issuer: str | None = None  # for someone without an account
    contact: str | None = None  # postal address or e-mail the answer goes to
    reply_by: str | None = None  # "post" or "email"
    issuer_number: str | None = None
    issuer_date: date | None = None
    pages: int | None = None
    annexes: int | None = None
    linked: RegistryEntry | None = None
    department: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    actor_id: int | None = None  # the registry official who registers it
    idempotency_key: str | None = None  # a retry finds the first registration
    summary: str | None = None  # the registry's own summary of a paper document

    def entry_fields(self) -> dict[str, Any]:
        """Return the keyword arguments of `register` this intake fills."""
        return {
            "channel": self.channel,
            "issuer_number": self.issuer_number,
            "issuer_date": self.issuer_date,
            "pages": self.pages,
            "annexes": self.annexes,
            "documents": self.documents,
            "idempotency_key": self.idempotency_key,
        }


def petent(account_email: str | None, name: str, intake: Intake) -> dict[str, str]:
    """Return the `petent` variable: name and e-mail; without an account, also the address."""
    if account_email is not None:
        return {"nume": name, "email": account_email}
    by_email = intake.reply_by == "email"
    return {
        "nume": name,
        "email": (intake.contact or "") if by_email else "",
        "adresa": "" if by_email else (intake.contact or ""),
        "raspuns_prin": intake.reply_by or "",
    }


def fold(value: str | None) -> str:
    """Fold text for search: lower case, no diacritics (ș, ş and s all match)."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def describe(
    name: str, mime: str, content: bytes, slot: str | None = None, slot_title: str | None = None
) -> dict[str, Any]:
    """Describe a registered file as the register (and its hash chain) keeps it, with the
    slot it was sent for when there is one."""
    out: dict[str, Any] = {
        "name": name,
        "mime": mime,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    if slot:
        out |= {"slot": slot, "slot_title": slot_title or slot}
    return out


def lock_register(session: Session) -> None:
    """Serialise registrations until commit, so number order is time order."""
    conn = session.connection()  # on SQLite this begins the transaction: BEGIN IMMEDIATE
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REGISTER_LOCK_KEY})


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


def chain_key(session: Session, path: Path | None = None) -> ChainKey:
    """Return the register's key (the settings' file by default), creating it the first time."""
    found = chain_keys.existing(path)
    if found is not None:
        return found
    path = path or current().settings.register_key_path
    last = last_entry(session)
    return chain_keys.create(path, last, last is None or last.entry_hash == entry_digest(last))


def entry_digest(entry: RegistryEntry, key: bytes | None = None) -> str:
    """Hash an entry's register columns and its files' hashes with the previous entry's hash:
    HMAC-SHA256 with the chain's key; plain SHA-256 (rows from before the key) without one."""
    payload = {
        "year": entry.year,
        "number": entry.number,
        "date": entry.registered_on.isoformat(),
        "at": as_aware(entry.registered_at).astimezone(UTC).isoformat(timespec="microseconds"),
        "direction": entry.direction,
        "channel": entry.channel,
        "issuer": entry.issuer,
        "issuer_number": entry.issuer_number,
        "issuer_date": entry.issuer_date.isoformat() if entry.issuer_date else None,
        "pages": entry.pages,
        "annexes": entry.annexes,
        "recipient": entry.recipient,
        "summary": entry.summary,
        "department": entry.department,
        "linked": [entry.linked_year, entry.linked_number],
        "file_code": entry.file_code,
        "documents": [d.get("sha256") for d in entry.documents or []],
    }
    blob = (entry.prev_hash + json.dumps(payload, sort_keys=True, ensure_ascii=False)).encode()
    if key is None:
        return hashlib.sha256(blob).hexdigest()
    return hmac.new(key, blob, hashlib.sha256).hexdigest()


def last_entry(session: Session, until: date | None = None) -> RegistryEntry | None:
    """Return the newest entry of the register (registered on or before `until`)."""
    query = select(RegistryEntry)
    if until is not None:
        query = query.where(RegistryEntry.registered_on <= until)
    return session.scalar(
        query.order_by(RegistryEntry.year.desc(), RegistryEntry.number.desc()).limit(1)
    )


def register(
    session: Session,
    *,
    direction: str,
    issuer: str,
    summary: str,
    at: datetime | None = None,
    clock: Clock | None = None,
    recipient: str | None = None,
    department: str | None = None,
    request_id: int | None = None,
    linked: RegistryEntry | None = None,
    file_code: str | None = None,
    channel: str | None = None,
    issuer_number: str | None = None,
    issuer_date: date | None = None,
    pages: int | None = None,
    annexes: int | None = None,
    documents: list[dict[str, Any]] | None = None,
    idempotency_key: str | None = None,
) -> RegistryEntry:
    """Write a line in the register with the next number of the year (Romania's local time).

    The time is read after the register is locked (unless `at` is given), so numbers
    follow the clock; the year turns at midnight of 31 December in Europe/Bucharest."""
    lock_register(session)
    key = chain_key(session)  # made here the first time, pinning the rows written before it
    at = at if at is not None else (clock or utcnow)()
    local = as_aware(at).astimezone(BUCHAREST)
    number = _next_number(session, local.year)
    previous = last_entry(session)
    entry = RegistryEntry(
        year=local.year,
        number=number,
        registered_on=local.date(),
        registered_at=at,
        direction=direction,
        channel=channel,
        issuer=issuer[:300],
        issuer_number=issuer_number[:64] if issuer_number else None,
        issuer_date=issuer_date,
        pages=pages,
        annexes=annexes,
        recipient=recipient[:300] if recipient else None,
        summary=summary[:500],
        department=department,
        request_id=request_id,
        linked_number=linked.number if linked else None,
        linked_year=linked.year if linked else None,
        file_code=file_code,
        documents=list(documents or []),
        idempotency_key=idempotency_key,
        prev_hash=previous.entry_hash if previous else GENESIS,
        entry_hash="",
    )
    entry.search_text = fold(
        " ".join(filter(None, [issuer, recipient, summary, issuer_number, entry.display]))
    )
    entry.entry_hash = entry_digest(entry, key.secret)
    session.add(entry)
    session.flush()
    metrics.on_commit(session, metrics.REGISTRATIONS.labels(direction).inc)
    return entry


def new_request(
    session: Session,
    entry: RegistryEntry,
    *,
    procedure: str,
    status: RequestStatus,
    due_date: date,
    summary: str,
    data: dict[str, Any],
    **fields: Any,
) -> Request:
    """Add the request this entry registered: its number, date and time are the entry's."""
    request = Request(
        procedure=procedure,
        status=status,
        registry_entry_id=entry.id,
        registration_number=entry.number,
        registration_date=entry.registered_on,
        due_date=due_date,
        summary=summary[:500],
        data=data,
        created_at=entry.registered_at,
        updated_at=entry.registered_at,
        **fields,
    )
    session.add(request)
    session.flush()
    return request


def find(session: Session, year: int, number: int) -> RegistryEntry | None:
    """Return the entry with this number in this year."""
    return session.scalar(
        select(RegistryEntry).where(RegistryEntry.year == year, RegistryEntry.number == number)
    )


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking the chain: how many rows, and the first that does not match."""

    entries: int
    first_bad: RegistryEntry | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def _walk(rows: Iterable[RegistryEntry], key: ChainKey) -> ChainCheck:
    count = 0
    prev: RegistryEntry | None = None
    for entry in rows:
        count += 1
        expected_number = 1 if prev is None or prev.year != entry.year else prev.number + 1
        if entry.number != expected_number:
            return ChainCheck(count, entry, "numărul nu urmează celui anterior (lipsește un rând)")
        if entry.prev_hash != (prev.entry_hash if prev else GENESIS):
            return ChainCheck(count, entry, "nu este legat de rândul anterior")
        legacy = key.is_legacy(entry.year, entry.number)
        if entry.entry_hash != entry_digest(entry, None if legacy else key.secret):
            return ChainCheck(count, entry, "conținutul rândului a fost modificat")
        pinned = key.legacy_until
        if pinned and pinned[:2] == (entry.year, entry.number) and entry.entry_hash != pinned[2]:
            # The rows from before the key were rewritten with fresh SHA-256 hashes.
            return ChainCheck(count, entry, "nu mai are hash-ul fixat la crearea cheii registrului")
        prev = entry
    return ChainCheck(count)


def verify_chain(session: Session) -> ChainCheck:
    """Walk the whole register in order and name the first row that does not match."""
    key = chain_key(session)
    rows = session.scalars(
        select(RegistryEntry)
        .order_by(RegistryEntry.year, RegistryEntry.number)
        .execution_options(yield_per=1000)
    )
    return _walk(rows, key)
