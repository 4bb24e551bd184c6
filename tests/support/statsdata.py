"""Requests with dates chosen by the test, written straight into the tables the dashboards
read (requests, their registry entries, instances and tasks), so every figure is known."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import (
    Instance,
    ProcessVersion,
    RegistryEntry,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
)
from engine.platform.timeutil import local_today

_numbers = itertools.count(100_000)


def _entry(session: Session, day: date, direction: str, summary: str) -> RegistryEntry:
    entry = RegistryEntry(
        year=day.year,
        number=next(_numbers),
        registered_on=day,
        registered_at=datetime.combine(day, time(9), tzinfo=UTC),
        direction=direction,
        issuer="Test",
        summary=summary,
        prev_hash="0" * 64,
        entry_hash=uuid.uuid4().hex + uuid.uuid4().hex,
    )
    session.add(entry)
    session.flush()
    return entry


def seed_request(
    session: Session,
    *,
    procedure: str,
    department: str,
    registered: date,
    due: date,
    answered: date | None = None,
    status: RequestStatus | None = None,
    applicant_id: int | None = None,
    held_by: int | None = None,
    registry: str = "registratura",
) -> Request:
    """Add a request registered on `registered`, triaged by the registry to `department`,
    answered on `answered` (its outgoing entry's date) or still open (a READY task there)."""
    status = status or (RequestStatus.COMPLETED if answered else RequestStatus.IN_PROGRESS)
    entry = _entry(session, registered, "in", f"Cerere {procedure}")
    created = datetime.combine(registered, time(9), tzinfo=UTC)
    req = Request(
        procedure=procedure,
        applicant_id=applicant_id,
        status=status,
        registry_entry_id=entry.id,
        registration_number=entry.number,
        registration_date=registered,
        due_date=due,
        summary=f"Cerere {procedure}",
        data={},
        created_at=created,
        updated_at=created,
    )
    if answered is not None:
        req.answer_entry_id = _entry(session, answered, "out", "Răspuns").id
        req.closed_at = datetime.combine(answered, time(12), tzinfo=UTC)
        req.answer = "Răspuns"
    session.add(req)
    session.flush()
    version_id = session.scalar(
        select(ProcessVersion.id).where(ProcessVersion.procedure == procedure).limit(1)
    ) or session.scalar(select(ProcessVersion.id).limit(1))
    assert version_id is not None, "no process version deployed"
    inst = Instance(request_id=req.id, process_version_id=version_id, state="{}")
    session.add(inst)
    session.flush()
    done = answered is not None

    def task(dept: str, n: int, ready: bool) -> None:
        session.add(
            TaskRecord(
                id=str(uuid.uuid4()),
                request_id=req.id,
                instance_id=inst.id,
                bpmn_id=f"pas{n}",
                name=f"Pasul {n}",
                department=dept,
                state=TaskState.READY if ready else TaskState.COMPLETED,
                due_date=due,
                request_created_at=created,
                created_at=datetime.combine(registered, time(9, n), tzinfo=UTC),
                claimed_by_id=held_by if ready else None,
            )
        )

    task(registry, 1, False)
    if department != registry:
        task(department, 2, not done)
    session.flush()
    return req


def seed_dashboard(circuit: Any, people: dict[str, int]) -> None:
    """Urbanism: 2 petitions answered this period (4 days, on time; 12 days, late), one open
    and overdue held by Andrei Stan; taxe: one open public-information request at risk."""
    today = local_today()
    reg = today - timedelta(20)
    with circuit.db.transaction() as s:
        for days in (4, 12):
            seed_request(
                s,
                procedure="petitie",
                department="urbanism",
                registered=reg,
                due=reg + timedelta(10),
                answered=reg + timedelta(days),
            )
        seed_request(
            s,
            procedure="petitie",
            department="urbanism",
            registered=reg,
            due=today - timedelta(3),
            held_by=people["urbanism"],
        )
        seed_request(
            s,
            procedure="informatii_publice",
            department="taxe",
            registered=reg,
            due=today + timedelta(1),
        )
