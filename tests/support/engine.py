"""Steps tests take through the engine directly, each in its own committed transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.cases import operations
from engine.circuit import Circuit
from engine.models import Request, TaskRecord, TaskState, User

PETITION = {"subiect": "Groapă în asfalt", "continut": "Pe strada Morilor nr. 5 este o groapă."}


def submit_petition(circuit: Circuit, user_id: int, **data: str) -> Request:
    """Register a petition as this user and return it (committed)."""
    with circuit.db.transaction() as s:
        req, _ = operations.start_request(
            s, circuit, s.get(User, user_id), "petitie", {**PETITION, **data}
        )
        return req


def ready_task_id(circuit: Circuit, request_id: int) -> str:
    """Return the id of the request's READY task."""
    with circuit.db.session() as s:
        task_id = s.scalar(
            select(TaskRecord.id).where(
                TaskRecord.request_id == request_id, TaskRecord.state == TaskState.READY
            )
        )
        assert task_id is not None, "the request has no READY task"
        return task_id


def complete(circuit: Circuit, user_id: int, task_id: str, data: dict[str, Any]) -> Request:
    """Complete a task as this official (committed)."""
    with circuit.db.transaction() as s:
        return operations.complete_task(s, circuit, s.get(User, user_id), task_id, data)


TRIAGE_TO_URBANISM = {"decizie_triere": "repartizare", "departament": "urbanism"}
# The mayor (the petition's signatory in the catalog) signs the approved answer.
SIGNED = {"decizie_semnatar": "semnat"}
