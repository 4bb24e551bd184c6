"""The registry's pages: register a document, read and print the register, check its chain."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from engine.cases import desk, dispatch, operations, queries, representation
from engine.platform.errors import BadRequest, Conflict, Forbidden, Invalid
from engine.platform.timeutil import local_today
from engine.register import access, book, entry_form, pdf
from webapp import db, formrender
from webapp.auth import current
from webapp.extensions import login_manager
from webapp.filters import DEFAULT_SITE_NAME
from webapp.portal import issuer, page_arg, page_count, pdf_response, uploads_from_request

bp = Blueprint("registry", __name__, url_prefix="/registratura")

PER_PAGE = 50


@bp.before_request
def _staff_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not access.may_read_register(current()):
        raise Forbidden("Registrul poate fi consultat numai de registratură și de auditori.")
    return None


def _render_new(proc: Any, values: dict[str, Any], errors: dict[str, Any], status: int) -> Any:
    session, circuit = db.session(), db.circuit()
    catalog = circuit.procedures(session)
    procs = [(p.id, p.title) for p in catalog.all()]
    schema = entry_form.entry_schema(desk.destinations(session, circuit))
    data_schema = (
        operations.form_schema(session, circuit, proc.start_form, catalog.version_of(proc.id))
        if proc
        else None
    )
    html = render_template(
        "registry/new_entry.html",
        proc=proc,
        procedures=procs,
        fields=formrender.fields(schema, values, errors),
        data_fields=formrender.fields(data_schema, values.get("data"), errors.get("data_fields"))
        if data_schema
        else [],
        errors=errors,
        idempotency_key=values.get("idempotency_key") or uuid.uuid4().hex,
    )
    return html, status


def _errors(exc: Invalid) -> dict[str, Any]:
    own = [e for e in exc.errors if not e["field"].startswith("/data/")]
    data = [{**e, "field": e["field"][5:]} for e in exc.errors if e["field"].startswith("/data/")]
    out: dict[str, Any] = formrender.field_errors(own)
    out["data_fields"] = formrender.field_errors(data)
    return out


@bp.route("/inregistrare", methods=["GET", "POST"])
def new_entry() -> Any:
    session, circuit = db.session(), db.circuit()
    if not access.may_register(current()):
        raise Forbidden("Numai registratura înregistrează documente.")
    catalog = circuit.procedures(session)
    proc = catalog.get(request.values.get("procedure", ""))
    if request.method == "GET":
        return _render_new(proc, {"direction": "in", "channel": "counter"}, {}, 200)
    raw: dict[str, Any] = formrender.parse(entry_form.entry_schema(), request.form)
    raw["procedure"] = proc.id if proc else None
    raw["idempotency_key"] = request.form.get("idempotency_key", "")
    if proc:
        raw["data"] = formrender.parse(
            operations.form_schema(session, circuit, proc.start_form, catalog.version_of(proc.id)),
            request.form,
        )
    uploads = uploads_from_request()
    try:
        done = desk.register_document(session, circuit, current(), raw, uploads)
        db.commit()
    except Invalid as exc:
        session.rollback()
        return _render_new(proc, raw, _errors(exc), 422)
    message = f"Documentul a fost înregistrat cu nr. {done.entry.display}."
    if not done.created:
        message = f"Documentul fusese deja înregistrat cu nr. {done.entry.display}."
    if done.request is None:
        flash(message, "success")
        return redirect(url_for("registry.register", q=str(done.entry.number)))
    message += " Procedura a pornit; cererea apare în lista de sarcini."
    flash(message, "success")
    # The person at the counter leaves with the receipt: the register offers it at the top.
    return redirect(url_for("registry.register", q=str(done.entry.number), dovada=done.request.id))


@bp.route("/cereri/<int:request_id>/dovada.pdf")
def counter_receipt(request_id: int) -> Any:
    content, name = desk.counter_receipt(
        db.session(), db.circuit(), current(), request_id, issuer()
    )
    return pdf_response(content, name)


def _date(name: str, default: date) -> date:
    raw = request.args.get(name) or ""
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        raise BadRequest("Scrieți datele perioadei ca AAAA-LL-ZZ.") from None


@bp.route("/")
def register() -> Any:
    today = local_today()
    start, end = _date("de_la", today.replace(month=1, day=1)), _date("pana_la", today)
    q = request.args.get("q", "").strip()
    page = page_arg()
    session = db.session()
    rows, total = book.listing(session, current(), start, end, q, page=page, per_page=PER_PAGE)
    receipt_for = next(
        (r.request for r in rows if r.request and str(r.request.id) == request.args.get("dovada")),
        None,
    )
    return render_template(
        "registry/register.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        filters={"de_la": start.isoformat(), "pana_la": end.isoformat(), "q": q},
        today=today.isoformat(),
        names=queries.department_names(db.session()),
        may_register=access.may_register(current()),
        receipt_for=receipt_for,
        to_dispatch=dispatch.count_awaiting(session) if access.may_register(current()) else 0,
    )


@bp.route("/export")
def export() -> Any:
    today = local_today()
    start, end = _date("de_la", today), _date("pana_la", today)
    session, names = db.session(), queries.department_names(db.session())
    name = f"registru-{start:%Y%m%d}-{end:%Y%m%d}"
    if request.args.get("format") == "pdf":
        institution = current_app.config.get("CITY_HALL_NAME", DEFAULT_SITE_NAME)
        body = pdf.to_pdf(session, current(), start, end, names, institution)
        mime, filename = "application/pdf", f"{name}.pdf"
    else:
        body = book.to_csv(session, current(), start, end, names)
        mime, filename = "text/csv; charset=utf-8", f"{name}.csv"
    disposition = f'attachment; filename="{filename}"'
    return Response(body, mimetype=mime, headers={"Content-Disposition": disposition})


@bp.route("/verificare")
def verify() -> Any:
    check = access.verify(db.session(), current())
    return render_template("registry/verify.html", check=check)


def _representations_page(errors: dict[int, str] | None = None, status: int = 200) -> Any:
    circuit = db.circuit()
    claims = representation.pending(db.session(), current(), circuit.settings.registry_department)
    html = render_template(
        "registry/representations.html",
        claims=[(c, representation.represented(c)) for c in claims],
        errors=errors or {},
    )
    return html, status


@bp.route("/reprezentari")
def representations() -> Any:
    return _representations_page()


@bp.route("/reprezentari/<int:claim_id>", methods=["POST"])
def decide_representation(claim_id: int) -> Any:
    session, circuit = db.session(), db.circuit()
    decision = request.form.get("decision", "")
    try:
        row = representation.decide(
            session,
            current(),
            claim_id,
            decision,
            request.form.get("reason", ""),
            circuit.settings.registry_department,
        )
        db.commit()
    except Invalid as exc:
        session.rollback()
        message = " ".join(e["message"] for e in exc.errors)
        return _representations_page({claim_id: message}, 422)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("registry.representations"))
    word = "acceptată" if decision == "accepted" else "refuzată"
    flash(f"Reprezentarea pentru {row.name} a fost {word}; solicitantul a fost anunțat.", "success")
    return redirect(url_for("registry.representations"))


@bp.route("/reprezentari/<int:claim_id>/dovada")
def representation_proof(claim_id: int) -> Any:
    circuit = db.circuit()
    row = representation.claim_for_checker(
        db.session(), current(), claim_id, circuit.settings.registry_department
    )
    path = representation.proof_file(circuit.settings.documents_dir, row)
    return send_file(
        path, mimetype=row.proof_mime, as_attachment=True, download_name=row.proof_name
    )


def _dispatch_page(errors: dict[int, dict[str, str]] | None = None, status: int = 200) -> Any:
    session, user = db.session(), current()
    html = render_template(
        "registry/dispatch.html",
        waiting=dispatch.awaiting(session, user),
        recent=dispatch.recent(session, user),
        channels=dispatch.CHANNEL_TITLES,
        describe=dispatch.describe,
        errors=errors or {},
        values=request.form if errors else {},
        today=local_today().isoformat(),
    )
    return html, status


@bp.route("/expediere")
def dispatch_queue() -> Any:
    return _dispatch_page()


@bp.route("/expediere/<int:request_id>/raspuns.pdf")
def dispatch_answer_pdf(request_id: int) -> Any:
    content, name = dispatch.answer_pdf(db.session(), db.circuit(), current(), request_id, issuer())
    return pdf_response(content, name)


@bp.route("/expediere/<int:request_id>", methods=["POST"])
def dispatch_answer(request_id: int) -> Any:
    session = db.session()
    try:
        row = dispatch.dispatch_answer(
            session, db.circuit(), current(), request_id, request.form, issuer()
        )
        db.commit()
    except Invalid as exc:
        session.rollback()
        fields = {e["field"].lstrip("/"): e["message"] for e in exc.errors}
        return _dispatch_page({request_id: fields}, 422)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("registry.dispatch_queue"))
    except dispatch.MailFailed as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("registry.dispatch_queue"))
    flash(
        f"Răspunsul a fost expediat {dispatch.describe(row)}; registrul arată expedierea.",
        "success",
    )
    return redirect(url_for("registry.dispatch_queue"))
