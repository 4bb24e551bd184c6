"""Where a step the diagram could not run keeps its reason: the failing transaction is rolled
back (nothing half-stored), then the reason is written in a transaction of its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine import audit
from engine.circuit import Circuit
from engine.platform.errors import ProcessFailure

STUCK = "process_error"


def stuck_reason(
    session: Session,
    circuit: Circuit,
    failure: ProcessFailure,
    request_id: int,
    step: str,
    task_id: str | None,
    actor_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Keep the failure's reason once this session's transaction is rolled back."""
    detail = {
        "message": failure.message,
        "element": failure.extra.get("element"),
        "technical": getattr(failure, "technical", None),
        "step": step,
        "task": task_id,
        "data": data,
    }
    session.info.setdefault("stuck_failures", []).append((circuit, request_id, actor_id, detail))


@event.listens_for(Session, "after_rollback")
def _write_after_rollback(session: Session) -> None:
    pending = session.info.pop("stuck_failures", [])
    for circuit, request_id, actor_id, detail in pending:
        with circuit.db.transaction() as s:
            audit.record(s, STUCK, actor_id=actor_id, request_id=request_id, **detail)
