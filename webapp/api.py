"""The JSON API under /api/v1, authenticated with bearer tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any, cast

from flask import Blueprint, Response, g, jsonify, request, send_file
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from engine import audit
from engine.cases import applicant, documents, operations, queries, readmodel, receipts
from engine.deadlines.legal_calendar import DeadlineKind
from engine.models import User
from engine.people import accounts, organisation, sessions
from engine.platform.errors import BadRequest, CircuitError, Forbidden, Invalid, Unauthorized
from engine.workflow import versions
from webapp import db, inputs, portal, serialize, throttle
from webapp.auth import bearer_token, bearer_user
from webapp.openapi import openapi_document

bp = Blueprint("api", __name__)


def error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, **extra}), status


@bp.errorhandler(CircuitError)
def _circuit_error(exc: CircuitError) -> tuple[Response, int]:
    db.rollback()  # a failed step's writes and locks go now, not after the answer
    throttle.attempt_failed(exc)
    return jsonify(exc.as_dict()), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    messages = {
        404: "Resursa cerută nu există.",
        405: "Metoda HTTP nu este permisă pentru această adresă.",
        413: "Fișierele trimise depășesc dimensiunea maximă permisă.",
    }
    code = exc.code or 500
    return error(
        code, exc.name.lower().replace(" ", "_"), messages.get(code, exc.description or "")
    )


def authenticated(view: Callable[..., Any]) -> Callable[..., Any]:
    """Require a valid bearer token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if bearer_user() is None:
            raise Unauthorized("Autentificați-vă: lipsește un token valid sau a expirat.")
        return view(*args, **kwargs)

    return wrapper


def me() -> User:
    return cast(User, g.api_user)


def json_body() -> dict[str, Any]:
    """Parse the JSON body, refusing malformed, too deep or unstorable JSON with a clear 400."""
    return inputs.json_object(request.get_data(cache=True))


def _page_args() -> tuple[int, int]:
    page = inputs.page_number(request.args.get("page"))
    return page, inputs.page_size(request.args.get("per_page"), 20, 100)


@bp.post("/auth/token")
def token() -> Any:
    body = json_body()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise BadRequest("Trimiteți „email” și „password”.")
    slot = throttle.login(email)
    if not slot.allowed:
        response, status = error(429, "throttled", throttle.login_refused_message(slot))
        response.headers["Retry-After"] = str(slot.retry_after)
        return response, status
    user = accounts.authenticate(db.session(), email, password)
    if user is None:
        raise Unauthorized("Adresa de e-mail sau parola nu este corectă.")
    throttle.release(slot)
    ttl = timedelta(hours=db.circuit().settings.token_ttl_hours)
    value, expires = sessions.issue_token(db.session(), user, ttl)
    audit.record(db.session(), "login", actor_id=user.id, channel="api")
    db.commit()
    return {"token": value, "expires_at": expires.isoformat(timespec="seconds")}


@bp.delete("/auth/token")
@authenticated
def revoke_token() -> Any:
    sessions.revoke_token(db.session(), bearer_token() or "")
    audit.record(db.session(), "logout", actor_id=me().id, channel="api")
    db.commit()
    return "", 204


@bp.get("/openapi.json")
def openapi() -> Any:
    return openapi_document()


@bp.get("/procedures")
def procedures() -> Any:
    circuit = db.circuit()
    catalog = circuit.procedures(db.session())
    unstaffed = organisation.unstaffed_by_procedure(db.session(), circuit)
    out = []
    for proc in catalog.all():
        empty = unstaffed.get(proc.id)
        out.append(
            {
                "id": proc.id,
                "title": proc.title,
                "description": proc.description,
                "legal_basis": proc.legal_basis,
                "deadline": {"days": proc.deadline_days, "kind": proc.deadline_kind.value},
                "start_form": operations.form_schema(
                    db.session(), circuit, proc.start_form, catalog.version_of(proc.id)
                ),
                "attachments": [a.as_api() for a in proc.attachments],
                "available": not empty,
                "unavailable_reason": organisation.unavailable_reason(db.session(), empty)
                if empty
                else None,
            }
        )
    return {"procedures": out}


@bp.get("/departments")
def departments() -> Any:
    return {
        "departments": [{"code": d.code, "name": d.name} for d in queries.departments(db.session())]
    }


def _submission() -> tuple[Any, Any, list[documents.Upload]]:
    """Read procedure, data and files from a JSON or multipart body."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("data", "{}")
        try:
            data = inputs.load_json(raw)
        except inputs.RefusedJSON as exc:
            raise Invalid([{"field": "/data", "message": str(exc)}]) from None
        except ValueError:
            raise Invalid(
                [{"field": "/data", "message": "Câmpul „data” nu este JSON valid."}]
            ) from None
        uploads = [
            documents.Upload(name, f.filename or "document", f.read())
            for name, f in request.files.items(multi=True)
        ]
        return request.form.get("procedure"), data, uploads
    body = json_body()
    return body.get("procedure"), body.get("data"), []


@bp.post("/requests")
@authenticated
def create_request() -> Any:
    slot = throttle.submission(me().id)
    if not slot.allowed:
        response, status = error(
            429, "too_many_submissions", throttle.submission_refused_message(slot)
        )
        response.headers["Retry-After"] = str(slot.retry_after)
        return response, status
    procedure, data, uploads = _submission()
    key = request.headers.get("Idempotency-Key") or None
    circuit = db.circuit()
    session = db.session()
    try:
        company = (request.form if request.mimetype == "multipart/form-data" else json_body()).get(
            "company"
        )
        req, created = operations.start_request(
            session, circuit, me(), procedure, data, uploads, key, company=company or None
        )
        db.commit()
    except IntegrityError as conflict:  # a concurrent retry with the same key registered it first
        req, created = operations.first_registered(session, me(), key, conflict), False
    body = serialize.request_summary(req)
    response = jsonify(body)
    response.status_code = 201
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/requests")
@authenticated
def list_requests() -> Any:
    page, per_page = _page_args()
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
    if request.mimetype == "multipart/form-data":
        uploads = [
            documents.Upload(name, f.filename or "document", f.read())
            for name, f in request.files.items(multi=True)
        ]
        if "data" not in request.form:
            return None, request.form.get("text", ""), uploads
        try:
            return inputs.load_json(request.form["data"]), None, uploads
        except inputs.RefusedJSON as exc:
            raise Invalid([{"field": "/data", "message": str(exc)}]) from None
        except ValueError:
            raise Invalid(
                [{"field": "/data", "message": "Câmpul „data” nu este JSON valid."}]
            ) from None
    body = json_body()
    if "data" in body:
        return body["data"], None, []
    return None, body.get("text"), []


@bp.post("/requests/<int:request_id>/reply")
@authenticated
def reply(request_id: int) -> Any:
    data, text, uploads = _reply_body()
    req = applicant.reply(db.session(), db.circuit(), me(), request_id, data, uploads, text=text)
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


def _official() -> User:
    user = me()
    if not user.is_official:
        raise Forbidden("Doar funcționarii au sarcini.")
    return user


@bp.get("/tasks")
@authenticated
def tasks() -> Any:
    user = _official()
    page, per_page = _page_args()
    session = db.session()
    order = request.args.get("sort", "request")
    claim = request.args.get("claimed", "any")
    if order not in {"request", "due_date"} or claim not in {"any", "free", "mine"}:
        raise BadRequest("Folosiți sort=request|due_date și claimed=any|free|mine.")
    rows = queries.department_inbox(
        session,
        user.departments,
        limit=per_page,
        offset=(page - 1) * per_page,
        order=queries.InboxOrder.NEAREST_DEADLINE
        if order == "due_date"
        else queries.InboxOrder.OLDEST_REQUEST,
        claim=queries.InboxClaim(claim),
        user_id=user.id,
        head_of=user.head_of,
    )
    by_instance = versions.instance_versions(session, [r.task.instance_id for r in rows])
    forms_cache: dict[tuple[int | None, str], Any] = {}
    out = []
    for row in rows:
        form = row.task.form
        key = (by_instance.get(row.task.instance_id), form or "")
        if form and key not in forms_cache:
            forms_cache[key] = operations.form_schema(session, db.circuit(), form, key[0])
        out.append(serialize.task(row.task, row.request, forms_cache.get(key)))
    return {"tasks": out, "page": page, "per_page": per_page}


@bp.post("/tasks/<task_id>/claim")
@authenticated
def claim(task_id: str) -> Any:
    reason = json_body().get("reason")
    row = operations.claim_task(
        db.session(), _official(), task_id, reason if isinstance(reason, str) else None
    )
    db.commit()
    return {"id": row.id, "claimed_by": me().name}


@bp.post("/tasks/<task_id>/release")
@authenticated
def release(task_id: str) -> Any:
    row = operations.release_task(db.session(), _official(), task_id)
    db.commit()
    return {"id": row.id, "claimed_by": None}


@bp.post("/tasks/<task_id>/complete")
@authenticated
def complete(task_id: str) -> Any:
    user, body = _official(), json_body()
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


FIRST_YEAR, LAST_YEAR = 1990, 2100  # the legal calendar's holidays are known for these


@bp.get("/calendar/deadline")
def deadline() -> Any:
    args = request.args
    try:
        start = date.fromisoformat(args.get("start", ""))
    except ValueError:
        raise BadRequest("Parametrul start trebuie să fie o dată AAAA-LL-ZZ.") from None
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise BadRequest(
            f"Parametrul start trebuie să fie o dată între anii {FIRST_YEAR} și {LAST_YEAR}."
        )
    try:
        days = int(args.get("days", ""))
    except ValueError:
        raise BadRequest("Parametrul days trebuie să fie un număr întreg.") from None
    kind = args.get("kind", "calendar")
    if kind not in {k.value for k in DeadlineKind}:
        raise BadRequest("Parametrul kind trebuie să fie „calendar” sau „working”.")
    if days < 1 or days > 3650:
        raise BadRequest("Parametrul days trebuie să fie între 1 și 3650.")
    due = db.circuit().calendar(db.session()).deadline(start, days, kind)
    return {"due_date": due.isoformat()}


from webapp import officials_api, registry_api  # noqa: E402,F401  (routes on this blueprint)
