"""The register in the API: register a document, list, export and verify the book."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from engine.cases import desk, dispatch, documents, queries
from engine.models import Request
from engine.platform.errors import BadRequest
from engine.platform.timeutil import iso, local_today
from engine.register import access, book, pdf
from webapp import db
from webapp.api.common import (
    authenticated,
    form_data,
    is_multipart,
    json_body,
    me,
    official,
    page_args,
    uploads,
)
from webapp.filters import DEFAULT_SITE_NAME

bp = Blueprint("registry", __name__)


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"Parametrul {name} trebuie să fie o dată AAAA-LL-ZZ.") from None


def period(default_start: date | None = None) -> tuple[date, date]:
    """Read ?from=&to= (YYYY-MM-DD); by default the given start (or this year) to today."""
    today = local_today()
    start = _date_arg("from", default_start or today.replace(month=1, day=1))
    end = _date_arg("to", today if default_start is None else default_start)
    if end < start:
        raise BadRequest("Perioada cerută se termină înainte să înceapă.")
    return start, end


def entry_json(row: book.RegisterRow) -> dict[str, Any]:
    """Serialize a line of the register with the columns of the register book."""
    e = row.entry
    return {
        "number": e.number,
        "date": e.registered_on.isoformat(),
        "display": e.display,
        "registered_at": iso(e.registered_at),
        "direction": e.direction,
        "channel": e.channel,
        "issuer": e.issuer,
        "issuer_number": e.issuer_number,
        "issuer_date": e.issuer_date.isoformat() if e.issuer_date else None,
        "pages": e.pages,
        "annexes": e.annexes,
        "summary": e.summary,
        "department": row.department or None,
        "dispatch_date": row.dispatch_date.isoformat() if row.dispatch_date else None,
        "resolution": row.resolution,
        "recipient": row.recipient or None,
        "related_to": row.linked_display or None,
        "answered_by": row.answer.display if row.answer else None,
        "file_code": e.file_code,
        "request_id": row.request.id if row.request else None,
        "documents": [{"name": d["name"], "sha256": d["sha256"]} for d in e.documents or []],
        "hash": e.entry_hash,
    }


def _entry_input() -> tuple[dict[str, Any], list[documents.Upload]]:
    if not is_multipart():
        return json_body(), []
    raw: dict[str, Any] = dict(request.form.items())
    if "data" in raw:
        raw["data"] = form_data()
    return raw, uploads("files")


@bp.post("/registry/entries")
@authenticated
def registry_register() -> Any:
    raw, uploads = _entry_input()
    raw["idempotency_key"] = request.headers.get("Idempotency-Key") or raw.get("idempotency_key")
    done = desk.register_document(db.session(), db.circuit(), official(), raw, uploads)
    db.commit()
    e = done.entry
    response = jsonify(
        {
            "number": e.number,
            "date": e.registered_on.isoformat(),
            "display": e.display,
            "request_id": done.request.id if done.request else None,
            "hash": e.entry_hash,
        }
    )
    response.status_code = 201
    if not done.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/registry/entries")
@authenticated
def registry_entries() -> Any:
    start, end = period()
    page, per_page = page_args(max_per_page=200, default_per_page=50)
    rows, total = book.listing(
        db.session(), me(), start, end, request.args.get("q"), page=page, per_page=per_page
    )
    return {
        "entries": [entry_json(r) for r in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


@bp.get("/registry/export")
@authenticated
def registry_export() -> Any:
    start, end = period(default_start=local_today())
    fmt = request.args.get("format", "csv")
    session = db.session()
    names = queries.department_names(session)
    name = f"registru-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        body = book.to_csv(session, me(), start, end, names)
        mime, filename = "text/csv; charset=utf-8", f"{name}.csv"
    elif fmt == "pdf":
        institution = current_app.config.get("CITY_HALL_NAME", DEFAULT_SITE_NAME)
        body = pdf.to_pdf(session, me(), start, end, names, institution)
        mime, filename = "application/pdf", f"{name}.pdf"
    else:
        raise BadRequest("Parametrul format trebuie să fie „csv” sau „pdf”.")
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/registry/verify")
@authenticated
def registry_verify() -> Any:
    check = access.verify(db.session(), me())
    if check.ok:
        return {"ok": True, "entries": check.entries}
    bad = check.first_bad
    assert bad is not None
    return {
        "ok": False,
        "entries": check.entries,
        "first_bad": {
            "number": bad.number,
            "date": bad.registered_on.isoformat(),
            "display": bad.display,
            "reason": check.reason,
        },
    }


def _dispatch_json(w: dispatch.Awaiting, row: Any = None) -> dict[str, Any]:
    req, e = w.request, w.entry
    return {
        "request_id": req.id,
        "registration": req.registration_display,
        "answer": e.display,
        "recipient": req.petitioner_name,
        "reply_by": req.reply_by,
        "contact": req.issuer_contact,
        "answer_pdf": f"/api/v1/requests/{req.id}/answer.pdf",
        "dispatch": None
        if row is None
        else {
            "channel": row.channel,
            "sent_on": row.sent_on.isoformat(),
            "reference": row.reference,
            "email": row.email,
            "said": dispatch.describe(row),
        },
    }


@bp.get("/registry/dispatches")
@authenticated
def registry_dispatches() -> Any:
    waiting = dispatch.awaiting(db.session(), official())
    return {"dispatches": [_dispatch_json(w) for w in waiting], "total": len(waiting)}


@bp.post("/registry/dispatches/<int:request_id>")
@authenticated
def registry_dispatch(request_id: int) -> Any:
    session, circuit = db.session(), db.circuit()
    row = dispatch.dispatch_answer(
        session, circuit, official(), request_id, json_body(), circuit.settings.city_hall_name
    )
    db.commit()
    req = session.get(Request, request_id)
    assert req is not None and req.answer_entry is not None
    response = jsonify(_dispatch_json(dispatch.Awaiting(req, req.answer_entry), row))
    response.status_code = 201
    return response
