"""Requests in the API: submit, list, read, reply, withdraw, and their files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file
from sqlalchemy.exc import IntegrityError

from engine.cases import applicant, diagram, documents, operations, queries, readmodel, receipts
from webapp import db, portal, serialize, throttle
from webapp.api.common import (
    authenticated,
    form_data,
    is_multipart,
    json_body,
    me,
    page_args,
    throttled,
    uploads,
)

bp = Blueprint("citizens", __name__)


def _submission() -> tuple[Any, Any, Any, list[documents.Upload]]:
    """Read procedure, data, company and files from a JSON or multipart body."""
    if is_multipart():
        form = request.form
        return form.get("procedure"), form_data(), form.get("company"), uploads()
    body = json_body()
    return body.get("procedure"), body.get("data"), body.get("company"), []


@bp.post("/requests")
@authenticated
def create_request() -> Any:
    slot = throttle.submission(me().id)
    if not slot.allowed:
        return throttled(slot, "too_many_submissions", throttle.submission_refused_message(slot))
    procedure, data, company, files = _submission()
    key = request.headers.get("Idempotency-Key") or None
    session = db.session()
    try:
        req, created = operations.start_request(
            session, db.circuit(), me(), procedure, data, files, key, company=company or None
        )
        db.commit()
    except IntegrityError as conflict:  # a concurrent retry with the same key registered it first
        req, created = operations.first_registered(session, me(), key, conflict), False
    response = jsonify(serialize.request_summary(req))
    response.status_code = 201
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/requests")
@authenticated
def list_requests() -> Any:
    page, per_page = page_args()
    rows, total = queries.visible_requests(db.session(), me(), page=page, per_page=per_page)
    return {
        "requests": [serialize.request_summary(r) for r in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


@bp.get("/requests/<int:request_id>")
@authenticated
def get_request(request_id: int) -> Any:
    page = readmodel.request_page(db.session(), db.circuit(), me(), request_id)
    body = serialize.request_page(page)
    firm = page.request.company
    body["company"] = {"cui": firm.cui, "name": firm.name} if firm else None
    return body


def _reply_body() -> tuple[Any, Any, list[documents.Upload]]:
    """Read `data` (or the older `text`) and files from a JSON or multipart reply."""
    if is_multipart():
        if "data" not in request.form:
            return None, request.form.get("text", ""), uploads()
        return form_data(), None, uploads()
    body = json_body()
    if "data" in body:
        return body["data"], None, []
    return None, body.get("text"), []


@bp.post("/requests/<int:request_id>/reply")
@authenticated
def reply(request_id: int) -> Any:
    data, text, files = _reply_body()
    req = applicant.reply(db.session(), db.circuit(), me(), request_id, data, files, text=text)
    db.commit()
    return {"status": req.status.value}


@bp.post("/requests/<int:request_id>/withdraw")
@authenticated
def withdraw(request_id: int) -> Any:
    req = applicant.withdraw(db.session(), db.circuit(), me(), request_id)
    db.commit()
    return {"status": req.status.value}


@bp.get("/documents/<int:document_id>")
@authenticated
def get_document(document_id: int) -> Any:
    doc = queries.document_for(db.session(), me(), document_id)
    path = documents.blob_path(db.circuit().settings.documents_dir, doc.sha256)
    return send_file(path, mimetype=doc.mime, as_attachment=True, download_name=doc.name)


@bp.get("/requests/<int:request_id>/receipt.pdf")
@authenticated
def get_receipt(request_id: int) -> Any:
    content, name = receipts.receipt_pdf(
        db.session(), db.circuit(), me(), request_id, portal.issuer()
    )
    return portal.pdf_response(content, name)


@bp.get("/requests/<int:request_id>/answer.pdf")
@authenticated
def get_answer(request_id: int) -> Any:
    content, name = receipts.answer_pdf(
        db.session(), db.circuit(), me(), request_id, portal.issuer()
    )
    return portal.pdf_response(content, name)


@bp.get("/requests/<int:request_id>/diagram.svg")
@authenticated
def get_diagram(request_id: int) -> Any:
    drawn = diagram.request_diagram(db.session(), db.circuit(), me(), request_id)
    return Response(drawn.svg, mimetype="image/svg+xml")
