"""Officials in the API: their departments' tasks, claims, completions, assignments,
redirects, forwarding, absences and a request's history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from engine.cases import forwarding, officials, operations, queries, terms
from engine.platform.errors import BadRequest
from engine.platform.timeutil import iso
from engine.workflow import versions
from webapp import db, serialize
from webapp.api.common import authenticated, json_body, me, official, page_args

bp = Blueprint("officials", __name__)

SORTS = {
    "request": queries.InboxOrder.OLDEST_REQUEST,
    "due_date": queries.InboxOrder.NEAREST_DEADLINE,
}
CLAIMS = {"any", "free", "mine"}


def _task_forms(rows: list[Any]) -> list[dict[str, Any] | None]:
    """Return each task's form schema, built once per form and diagram version."""
    session = db.session()
    by_instance = versions.instance_versions(session, [r.task.instance_id for r in rows])
    cache: dict[tuple[int | None, str], Any] = {}
    forms = []
    for row in rows:
        form = row.task.form
        key = (by_instance.get(row.task.instance_id), form or "")
        if form and key not in cache:
            cache[key] = operations.form_schema(session, db.circuit(), form, key[0])
        forms.append(cache.get(key))
    return forms


@bp.get("/tasks")
@authenticated
def tasks() -> Any:
    user = official()
    page, per_page = page_args()
    order = request.args.get("sort", "request")
    claim = request.args.get("claimed", "any")
    if order not in SORTS or claim not in CLAIMS:
        raise BadRequest("Folosiți sort=request|due_date și claimed=any|free|mine.")
    rows = queries.department_inbox(
        db.session(),
        user.departments,
        limit=per_page,
        offset=(page - 1) * per_page,
        order=SORTS[order],
        claim=queries.InboxClaim(claim),
        user_id=user.id,
        head_of=user.head_of,
    )
    out = [
        serialize.task(row.task, row.request, form)
        for row, form in zip(rows, _task_forms(rows), strict=True)
    ]
    return {"tasks": out, "page": page, "per_page": per_page}


@bp.post("/tasks/<task_id>/claim")
@authenticated
def claim(task_id: str) -> Any:
    reason = json_body().get("reason")
    row = operations.claim_task(
        db.session(), official(), task_id, reason if isinstance(reason, str) else None
    )
    db.commit()
    return {"id": row.id, "claimed_by": me().name}


@bp.post("/tasks/<task_id>/release")
@authenticated
def release(task_id: str) -> Any:
    row = operations.release_task(db.session(), official(), task_id)
    db.commit()
    return {"id": row.id, "claimed_by": None}


@bp.post("/tasks/<task_id>/complete")
@authenticated
def complete(task_id: str) -> Any:
    user, body = official(), json_body()
    reason = body.get("reason")
    req = operations.complete_task(
        db.session(),
        db.circuit(),
        user,
        task_id,
        body.get("data", {}),
        reason if isinstance(reason, str) else None,
    )
    db.commit()
    return {"request": {"id": req.id, "status": req.status.value}}


@bp.post("/tasks/<task_id>/assign")
@authenticated
def assign(task_id: str) -> Any:
    row = officials.assign_task(db.session(), official(), task_id, json_body().get("user_id"))
    db.commit()
    return {"id": row.id, "claimed_by": row.claimed_by.name if row.claimed_by else None}


@bp.post("/tasks/<task_id>/redirect")
@authenticated
def redirect(task_id: str) -> Any:
    body = json_body()
    row = officials.redirect_task(
        db.session(), official(), task_id, body.get("department"), body.get("reason")
    )
    db.commit()
    return {"id": row.id, "department": row.department, "claimed_by": None}


@bp.post("/tasks/<task_id>/forward")
@authenticated
def forward(task_id: str) -> Any:
    body = json_body()
    req = forwarding.forward_to_authority(
        db.session(), db.circuit(), official(), task_id, body.get("authority"), body.get("reason")
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


@bp.post("/requests/<int:request_id>/extend")
@authenticated
def extend(request_id: int) -> Any:
    body = json_body()
    req = terms.extend(
        db.session(), db.circuit(), me(), request_id, body.get("days"), body.get("reason")
    )
    db.commit()
    return {"due_date": req.due_date.isoformat()}
