"""The citizens' portal: catalog, start forms, my requests, replies, documents."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from engine import documents, operations, profile, queries
from engine.catalog import AttachmentSpec
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.models import Request
from webapp import db, formrender
from webapp.auth import current
from webapp.filters import ro_date

bp = Blueprint("portal", __name__)

PER_PAGE = 20
_KEY = re.compile(r"^[0-9a-f]{32}$")


def uploads_from_request() -> list[documents.Upload]:
    """Read the files of a multipart form; file inputs left empty are skipped."""
    return [
        documents.Upload(name, f.filename or "document", f.read())
        for name, f in request.files.items(multi=True)
        if f.filename
    ]


def page_arg() -> int:
    """Return the ?pagina= number, 1 when absent or not a number."""
    raw = request.args.get("pagina", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def registration_text(req: Request) -> str:
    """Say a registration the way the registry writes it: „nr. 17 / 27.11.2026”."""
    return f"nr. {req.registration_number} / {ro_date(req.registration_date)}"


def request_page_context(req: Request, *, internal: bool = False) -> dict[str, Any]:
    """Gather what a request's page shows; `internal` adds what each step was completed with."""
    session, circuit = db.session(), db.circuit()
    proc = circuit.catalog.get(req.procedure)
    submitted: list[tuple[str, str]] = []
    if proc is not None:
        schema = operations.form_schema(session, circuit, proc.start_form)
        submitted = formrender.summary(schema, req.data or {})
    steps = queries.steps(session, req.id)
    step_data: dict[str, list[tuple[str, str]]] = {}
    if internal:
        answers = queries.step_submissions(session, req.id)
        for step in steps:
            if step.id in answers and step.form:
                schema = operations.form_schema(session, circuit, step.form)
                step_data[step.id] = formrender.summary(schema, answers[step.id])
    return {
        "step_data": step_data,
        "req": req,
        "proc": proc,
        "registration": registration_text(req),
        "submitted": submitted,
        "steps": steps,
        "documents": queries.request_documents(session, req.id),
    }


@bp.route("/")
def home() -> Any:
    if current_user.is_authenticated and current().is_official:
        return redirect(url_for("office.inbox"))
    return render_template("portal/home.html", procedures=db.circuit().catalog.all())


@bp.route("/proceduri")
def catalog() -> Any:
    return render_template("portal/catalog.html", procedures=db.circuit().catalog.all())


def _render_start(proc: Any, schema: dict[str, Any], key: str, **kw: Any) -> Any:
    errors: dict[str, str] = kw.pop("errors", {})
    values: dict[str, Any] = kw.pop("values", {})
    status: int = kw.pop("status", 200)
    html = render_template(
        "portal/new_request.html",
        proc=proc,
        schema=schema,
        fields=formrender.fields(schema, values, errors),
        attachments=proc.attachments,
        errors=errors,
        idempotency_key=key,
        files_lost=kw.pop("files_lost", False),
        companies=profile.companies(db.session(), current()),
    )
    return html, status


@bp.route("/proceduri/<procedure_id>", methods=["GET", "POST"])
@login_required
def new_request(procedure_id: str) -> Any:
    session, circuit = db.session(), db.circuit()
    proc = circuit.catalog.get(procedure_id)
    if proc is None:
        abort(404)
    schema = operations.form_schema(session, circuit, proc.start_form)
    if request.method == "GET":
        return _render_start(proc, schema, uuid.uuid4().hex)
    key = request.form.get("idempotency_key", "")
    key = key if _KEY.match(key) else uuid.uuid4().hex
    data = formrender.parse(schema, request.form)
    uploads = uploads_from_request()
    try:
        req, created = operations.start_request(
            session,
            circuit,
            current(),
            proc.id,
            data,
            uploads,
            idempotency_key=key,
            company=request.form.get("company") or None,
        )
        db.commit()
    except Invalid as exc:
        session.rollback()
        return _render_start(
            proc,
            schema,
            key,
            values=data,
            errors=formrender.field_errors(exc.errors),
            files_lost=bool(uploads),
            status=422,
        )
    except Forbidden as exc:  # e-mail not confirmed yet: the page says so, with a way to resend
        session.rollback()
        return _render_start(proc, schema, key, values=data, errors={"": exc.message}, status=403)
    except IntegrityError:  # a double click registered it first under the same key
        session.rollback()
        found = operations.find_by_idempotency_key(session, current(), key)
        if found is None:
            raise
        req, created = found, False
    if created:
        flash(
            f"Cererea a fost înregistrată cu {registration_text(req)}. "
            f"Termenul legal de răspuns este {ro_date(req.due_date)}.",
            "success",
        )
    else:
        flash(f"Cererea fusese deja înregistrată cu {registration_text(req)}.", "info")
    return redirect(url_for("portal.request_detail", request_id=req.id))


@bp.route("/cereri")
@login_required
def my_requests() -> Any:
    page = page_arg()
    rows, total = queries.visible_requests(db.session(), current(), page=page, per_page=PER_PAGE)
    return render_template(
        "portal/my_requests.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        catalog=db.circuit().catalog,
    )


def _render_detail(req: Request, *, errors: dict[str, str] | None = None, **kw: Any) -> Any:
    session = db.session()
    ctx = request_page_context(req)
    mine = req.applicant_id == current().id
    waiting = queries.waiting_task(session, req) if mine else None
    reply_fields: list[formrender.Field] = []
    reply_specs: tuple[AttachmentSpec, ...] = ()
    if waiting is not None:
        schema = (
            operations.form_schema(session, db.circuit(), waiting.form)
            if waiting.form
            else {"type": "object", "properties": {"text": {"type": "string", "title": "Răspuns"}}}
        )
        reply_fields = formrender.fields(schema, kw.get("values"), errors)
        reply_specs = ctx["proc"].reply_attachments if ctx["proc"] else ()
    html = render_template(
        "portal/request.html",
        mine=mine,
        waiting=waiting,
        reply_fields=reply_fields,
        reply_specs=reply_specs,
        errors=errors or {},
        files_lost=kw.get("files_lost", False),
        **ctx,
    )
    return html, kw.get("status", 200)


@bp.route("/cereri/<int:request_id>")
@login_required
def request_detail(request_id: int) -> Any:
    return _render_detail(queries.request_for(db.session(), current(), request_id))


@bp.route("/cereri/<int:request_id>/completare", methods=["POST"])
@login_required
def reply(request_id: int) -> Any:
    session = db.session()
    text = request.form.get("text", "").strip().replace("\r\n", "\n")
    uploads = uploads_from_request()
    try:
        operations.reply(session, db.circuit(), current(), request_id, text, uploads)
        db.commit()
    except Invalid as exc:
        session.rollback()
        req = queries.request_for(session, current(), request_id)
        return _render_detail(
            req,
            errors=formrender.field_errors(exc.errors),
            values={"text": text},
            files_lost=bool(uploads),
            status=422,
        )
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.request_detail", request_id=request_id))
    flash("Completările au fost trimise. Compartimentul continuă soluționarea cererii.", "success")
    return redirect(url_for("portal.request_detail", request_id=request_id))


@bp.route("/documente/<int:document_id>")
@login_required
def document(document_id: int) -> Any:
    try:
        doc = queries.document_for(db.session(), current(), document_id)
    except NotFound:  # someone else's document answers exactly like a missing one
        raise NotFound("Documentul nu există.") from None
    path = documents.blob_path(db.circuit().settings.documents_dir, doc.sha256)
    if not path.is_file():
        raise NotFound("Fișierul documentului nu mai este disponibil.")
    return send_file(path, mimetype=doc.mime, as_attachment=True, download_name=doc.name)
