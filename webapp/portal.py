"""The citizens' portal: catalog, start forms, my requests, replies, documents."""

from __future__ import annotations

import io
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from engine.cases import (
    applicant,
    diagram,
    dispatch,
    documents,
    operations,
    procedure_page,
    queries,
    readmodel,
    receipts,
)
from engine.models import PendingUpload, Request
from engine.people import organisation, profile
from engine.platform.errors import Conflict, Forbidden, Invalid, NotFound
from engine.register import access
from engine.workflow import catalog_search
from engine.workflow.catalog import AUDIENCES, AttachmentSpec, Catalog
from webapp import db, formrender, inputs, throttle
from webapp.auth import current
from webapp.extensions import login_manager
from webapp.filters import DEFAULT_SITE_NAME, ro_date

bp = Blueprint("portal", __name__)

PER_PAGE = 20
CATALOG_PER_PAGE = 10  # cards on one page of the catalog: a phone's few screens
_KEY = re.compile(r"^[0-9a-f]{32}$")


def uploads_from_request() -> list[documents.Upload]:
    """Read the files of a multipart form; file inputs left empty are skipped."""
    return [
        documents.Upload(name, f.filename or "document", f.read())
        for name, f in request.files.items(multi=True)
        if f.filename
    ]


HELD_FIELD, DROP_FIELD = "held_file", "drop_held"


@dataclass
class FormFiles:
    """The files a portal form sends: the newly chosen ones, and the ones held for the user
    from an earlier, refused attempt (named by id in the form; `drop_held` removes one)."""

    purpose: str
    specs: tuple[AttachmentSpec, ...]
    new: list[documents.Upload]
    held_ids: list[str]
    dropped: set[str]

    @classmethod
    def read(cls, purpose: str, specs: tuple[AttachmentSpec, ...]) -> FormFiles:
        return cls(
            purpose,
            specs,
            uploads_from_request(),
            request.form.getlist(HELD_FIELD)[: documents.MAX_HELD_FILES],
            set(request.form.getlist(DROP_FIELD)),
        )

    def _held(self) -> list[PendingUpload]:
        ids = [i for i in self.held_ids if i not in self.dropped]
        return documents.held_files(db.session(), current().id, self.purpose, ids)

    def uploads(self) -> list[documents.Upload]:
        """Every file the form sends: held ones first, then the newly chosen ones."""
        return documents.with_held(
            db.circuit().settings.documents_dir, self._held(), self.new, self.specs
        )

    def accepted(self) -> None:
        """The form was accepted (in the same transaction): its held files are let go."""
        ids = self.held_ids
        documents.release(
            db.session(), documents.held_files(db.session(), current().id, self.purpose, ids)
        )

    def refused(self) -> documents.Held:
        """After the rollback of a refused form: keep its good files for the user, commit."""
        held = documents.keep(
            db.session(),
            db.circuit().settings.documents_dir,
            current().id,
            self.purpose,
            self.specs,
            self.held_ids,
            self.dropped,
            self.new,
        )
        db.commit()
        return held

    def unchanged(self) -> documents.Held:
        """A form refused before its files were read (throttled, forbidden): as they were."""
        return documents.Held(self._held(), [u.filename for u in self.new])


def page_arg() -> int:
    """Return the ?pagina= number, 1 when absent; refuse one that is not a page."""
    return inputs.page_number(request.args.get("pagina"), "pagina")


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def count_label(total: int, cap: int) -> str:
    """Say a count made up to cap + 1: „1.234”, or „peste 10.000” beyond the cap."""
    shown = f"{min(total, cap):,}".replace(",", ".")
    return f"peste {shown}" if total > cap else shown


def registration_text(req: Request) -> str:
    """Say a registration the one way Circuit writes it: „nr. 17/27.11.2026”."""
    return receipts.registration_label(req.registration_number, req.registration_date)


def page_context(page: readmodel.RequestPage) -> dict[str, Any]:
    """Name the parts of a request's read model the way the templates use them."""
    return {
        "page": page,
        "req": page.request,
        "proc": page.procedure,
        "registration": registration_text(page.request),
        "submitted": page.submitted,
        "steps": page.steps,
        "step_data": page.step_data,
        "documents": page.documents,
        "slots": documents.slot_states(
            page.procedure.attachments if page.procedure else (), page.request.data, page.documents
        ),
        "conversation": page.conversation,
        "payment": payment_of(page.procedure),
        "delivery": dispatch.delivery(db.session(), page.request),
        "may_dispatch": access.may_register(current()),
    }


def payment_of(proc: Any) -> procedure_page.Payment | None:
    """Return where to pay a procedure's fee, None when it has nothing to pay."""
    settings = db.circuit().settings
    fee = proc.fee if proc is not None else None
    return procedure_page.payment_for(fee, settings.city_hall, settings.city_hall_name)


def _catalog() -> Catalog:
    """Return the catalog of current versions (a deployment shows without a restart)."""
    return db.circuit().procedures(db.session())


@bp.route("/")
def home() -> Any:
    if current_user.is_authenticated and current().is_official:
        return redirect(url_for("office.inbox"))
    return render_template("portal/home.html", procedures=_catalog().all())


def _unavailable() -> dict[str, str]:
    """Return {procedure: why it cannot be submitted now} for the unstaffed procedures."""
    session = db.session()
    return {
        proc: organisation.unavailable_reason(session, codes)
        for proc, codes in organisation.unstaffed_by_procedure(session, db.circuit()).items()
    }


@bp.route("/proceduri")
def catalog() -> Any:
    everything = _catalog().all()
    words = request.args.get("q", "").strip()[: catalog_search.MAX_QUERY]
    category = catalog_search.category_of(request.args.get("categorie", ""), everything)
    audience = request.args.get("pentru", "")
    audience = audience if audience in AUDIENCES else ""
    found = catalog_search.search(everything, words, category, audience)
    page, pages = page_arg(), page_count(len(found), CATALOG_PER_PAGE)
    if page > pages:
        abort(404)
    start = (page - 1) * CATALOG_PER_PAGE
    chosen = {"q": words, "categorie": category, "pentru": audience}
    filters = {name: value for name, value in chosen.items() if value}
    return render_template(
        "portal/catalog.html",
        procedures=found[start : start + CATALOG_PER_PAGE],
        total=len(found),
        catalog_size=len(everything),
        categories=catalog_search.categories(everything),
        audiences=AUDIENCES,
        filters=filters,
        page=page,
        pages=pages,
        unavailable=_unavailable(),
    )


@bp.route("/proceduri/<procedure_id>/despre")
def procedure(procedure_id: str) -> Any:
    """Show what a procedure is for, the documents, the fee and the term, to anyone."""
    page = procedure_page.public_page(db.session(), db.circuit(), procedure_id)
    if page is None:
        abort(404)
    return render_template("portal/procedure.html", page=page, proc=page.procedure)


@bp.route("/confidentialitate")
def privacy() -> Any:
    """Say what personal data Circuit keeps, why, how long, and whom to ask (GDPR art. 13)."""
    return render_template(
        "portal/privacy.html",
        procedures=_catalog().all(),
        session_hours=db.circuit().settings.session_ttl_hours,
    )


@bp.app_context_processor
def _city_hall() -> dict[str, Any]:
    """Give every page the city hall's contact details (the footer shows them)."""
    return {"city_hall": db.circuit().settings.city_hall}


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
        held=kw.pop("held", documents.Held([], [])),
        companies=profile.companies(db.session(), current(), accepted_only=True),
        unavailable=kw.pop("unavailable", None),
        payment=payment_of(proc),
    )
    return html, status


@bp.route("/proceduri/<procedure_id>", methods=["GET", "POST"])
def new_request(procedure_id: str) -> Any:
    if not current_user.is_authenticated:  # a visitor reads the procedure before signing in
        if request.method == "GET":
            return redirect(url_for("portal.procedure", procedure_id=procedure_id))
        return login_manager.unauthorized()
    session, circuit = db.session(), db.circuit()
    catalog = _catalog()
    proc = catalog.get(procedure_id)
    if proc is None:
        abort(404)
    schema = operations.form_schema(
        session, circuit, proc.start_form, catalog.version_of(procedure_id)
    )
    version_id = catalog.version_of(procedure_id) or 0
    empty = organisation.procedure_unstaffed(session, circuit, version_id)
    if empty:  # nobody would see the request: say why instead of offering the form
        reason = organisation.unavailable_reason(session, empty)
        status = 200 if request.method == "GET" else 409
        return _render_start(proc, schema, uuid.uuid4().hex, unavailable=reason, status=status)
    if request.method == "GET":
        return _render_start(proc, schema, uuid.uuid4().hex)
    key = request.form.get("idempotency_key", "")
    key = key if _KEY.match(key) else uuid.uuid4().hex
    data = formrender.parse(schema, request.form)
    files = FormFiles.read(f"start:{proc.id}", proc.attachments)
    slot = throttle.submission(current().id)
    if not slot.allowed:
        message = throttle.submission_refused_message(slot)
        return _render_start(
            proc, schema, key, values=data, errors={"": message}, held=files.unchanged(), status=429
        )
    try:
        req, created = operations.start_request(
            session,
            circuit,
            current(),
            proc.id,
            data,
            files.uploads(),
            idempotency_key=key,
            company=request.form.get("company") or None,
        )
        files.accepted()
        db.commit()
    except Invalid as exc:
        session.rollback()
        throttle.attempt_failed(exc)
        return _render_start(
            proc,
            schema,
            key,
            values=data,
            errors=formrender.field_errors(exc.errors),
            held=files.refused(),
            status=422,
        )
    except Forbidden as exc:  # e-mail not confirmed yet: the page says so, with a way to resend
        session.rollback()
        return _render_start(
            proc,
            schema,
            key,
            values=data,
            errors={"": exc.message},
            held=files.unchanged(),
            status=403,
        )
    except IntegrityError as conflict:  # a double click registered it first under the same key
        req, created = operations.first_registered(session, current(), key, conflict), False
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
        total_label=count_label(total, queries.COUNT_CAP),
        page=page,
        pages=page_count(total, PER_PAGE),
        catalog=_catalog(),
    )


def _render_detail(request_id: int, *, errors: dict[str, str] | None = None, **kw: Any) -> Any:
    page = readmodel.request_page(db.session(), db.circuit(), current(), request_id)
    mine = page.request.applicant_id == current().id
    waiting = page.waiting_for if mine else None
    html = render_template(
        "portal/request.html",
        mine=mine,
        waiting=waiting,
        reply_fields=formrender.fields(waiting.form, kw.get("values"), errors) if waiting else [],
        reply_specs=waiting.attachments if waiting else (),
        errors=errors or {},
        held=kw.get("held") or documents.Held([], []),
        diagram=diagram.diagram_of(db.session(), page.request),
        **page_context(page),
    )
    return html, kw.get("status", 200)


@bp.route("/cereri/<int:request_id>")
@login_required
def request_detail(request_id: int) -> Any:
    return _render_detail(request_id)


@bp.route("/cereri/<int:request_id>/completare", methods=["POST"])
@login_required
def reply(request_id: int) -> Any:
    session, circuit = db.session(), db.circuit()
    form = applicant.waiting_form(session, circuit, current(), request_id)
    data = formrender.parse(form[0], request.form) if form else {}
    files = FormFiles.read(f"reply:{request_id}", form[1] if form else ())
    try:
        applicant.reply(session, circuit, current(), request_id, data, files.uploads())
        files.accepted()
        db.commit()
    except Invalid as exc:
        session.rollback()
        return _render_detail(
            request_id,
            errors=formrender.field_errors(exc.errors),
            values=data,
            held=files.refused(),
            status=422,
        )
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.request_detail", request_id=request_id))
    flash("Completările au fost trimise. Compartimentul continuă soluționarea cererii.", "success")
    return redirect(url_for("portal.request_detail", request_id=request_id))


@bp.route("/cereri/<int:request_id>/retragere", methods=["GET", "POST"])
@login_required
def withdraw(request_id: int) -> Any:
    session, circuit = db.session(), db.circuit()
    if request.method == "GET":
        page = readmodel.request_page(session, circuit, current(), request_id)
        if page.request.applicant_id != current().id:
            raise NotFound("Cererea nu există.")
        return render_template("portal/withdraw.html", **page_context(page))
    try:
        req = applicant.withdraw(session, circuit, current(), request_id)
        db.commit()
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.request_detail", request_id=request_id))
    flash(f"Cererea {registration_text(req)} a fost retrasă.", "success")
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


def pdf_response(content: bytes, name: str) -> Any:
    """Send generated PDF bytes as a download."""
    return send_file(
        io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name
    )


def issuer() -> str:
    return str(current_app.config.get("CITY_HALL_NAME", DEFAULT_SITE_NAME))


@bp.route("/cereri/<int:request_id>/dovada.pdf")
@login_required
def receipt(request_id: int) -> Any:
    content, name = receipts.receipt_pdf(
        db.session(), db.circuit(), current(), request_id, issuer()
    )
    return pdf_response(content, name)


@bp.route("/cereri/<int:request_id>/raspuns.pdf")
@login_required
def answer(request_id: int) -> Any:
    content, name = receipts.answer_pdf(db.session(), db.circuit(), current(), request_id, issuer())
    return pdf_response(content, name)
