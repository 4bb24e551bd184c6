"""Officials in the JSON API: assign, redirect, a request's history (routes on api.bp)."""

from __future__ import annotations

from typing import Any

from engine.cases import forwarding, officials
from engine.platform.timeutil import iso
from webapp import db
from webapp.api import _official, authenticated, bp, json_body, me


@bp.post("/tasks/<task_id>/assign")
@authenticated
def assign(task_id: str) -> Any:
    row = officials.assign_task(db.session(), _official(), task_id, json_body().get("user_id"))
    db.commit()
    return {"id": row.id, "claimed_by": row.claimed_by.name if row.claimed_by else None}


@bp.post("/tasks/<task_id>/redirect")
@authenticated
def redirect(task_id: str) -> Any:
    body = json_body()
    row = officials.redirect_task(
        db.session(), _official(), task_id, body.get("department"), body.get("reason")
    )
    db.commit()
    return {"id": row.id, "department": row.department, "claimed_by": None}


@bp.post("/tasks/<task_id>/forward")
@authenticated
def forward(task_id: str) -> Any:
    body = json_body()
    req = forwarding.forward_to_authority(
        db.session(), db.circuit(), _official(), task_id, body.get("authority"), body.get("reason")
    )
    db.commit()
    return {"request": {"id": req.id, "status": req.status.value}, "answer": req.answer}


@bp.post("/absences")
@authenticated
def add_absence() -> Any:
    body = json_body()
    row = officials.add_absence(
        db.session(),
        me(),
        body.get("user_id"),
        body.get("from"),
        body.get("to"),
        body.get("reason"),
    )
    db.commit()
    return {
        "id": row.id,
        "user_id": row.user_id,
        "from": row.starts_on.isoformat(),
        "to": row.ends_on.isoformat(),
        "reason": row.reason,
    }, 201


@bp.get("/requests/<int:request_id>/history")
@authenticated
def history(request_id: int) -> Any:
    found = officials.history(db.session(), me(), request_id)
    for item in found["events"]:
        item["at"] = iso(item["at"])
    for step in found["steps"]:
        step["started_at"], step["completed_at"] = (
            iso(step["started_at"]),
            iso(step["completed_at"]),
        )
    return found
