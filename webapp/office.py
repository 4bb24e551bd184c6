"""The officials' office: the departments' inbox, tasks with their forms, request files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.cases import (
    annexes,
    diagram,
    documents,
    forwarding,
    officials,
    operations,
    queries,
    readmodel,
    terms,
)
from engine.messages import notify
from engine.models import TaskRecord, TaskState
from engine.people import organisation
from engine.platform import bounds
from engine.platform.errors import Conflict, Forbidden, Invalid
from engine.platform.timeutil import local_today
from engine.workflow import versions
from webapp import db, formrender
from webapp.auth import current
from webapp.extensions import login_manager
from webapp.portal import count_label, page_arg, page_context, page_count, registration_text

bp = Blueprint("office", __name__, url_prefix="/birou")

PER_PAGE = 50


@bp.before_request
def _officials_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current().is_official:
        raise Forbidden("Această pagină este destinată funcționarilor primăriei.")
    return None


def _task(task_id: str) -> TaskRecord:
    """Return the task if the official may work on it (NotFound or Forbidden otherwise)."""
    # The engine applies the same rule when the task is claimed or completed.
    return operations.task_for_official(db.session(), current(), task_id)


ORDERS = {
    "vechime": queries.InboxOrder.OLDEST_REQUEST,
    "termen": queries.InboxOrder.NEAREST_DEADLINE,
}
CLAIMS = {
    "toate": queries.InboxClaim.ANY,
    "nepreluate": queries.InboxClaim.FREE,
    "ale-mele": queries.InboxClaim.MINE,
}


@bp.route("/")
def inbox() -> Any:
    session, user = db.session(), current()
    page = page_arg()
    order = request.args.get("ordine", "vechime")
    order = order if order in ORDERS else "vechime"
    claim = request.args.get("preluare", "toate")
    claim = claim if claim in CLAIMS else "toate"
    rows = queries.department_inbox(
        session,
        user.departments,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
        order=ORDERS[order],
        claim=CLAIMS[claim],
        user_id=user.id,
        head_of=user.head_of,
    )
    total = queries.inbox_count(
        session, user.departments, claim=CLAIMS[claim], user_id=user.id, head_of=user.head_of
    )
    # The departments' notices and timers' messages to this official, each text once.
    notes = notify.with_departments(session, user)
    unique = {(n.request_id, n.message): n for n in reversed(notes)}
    reminders = [
        n
        for n in notes
        if unique[(n.request_id, n.message)] is n and (n.department or n.kind == "reminder")
    ]
    return render_template(
        "office/inbox.html",
        rows=rows,
        total=total,
        total_label=count_label(total, queries.INBOX_COUNT_CAP),
        page=page,
        pages=page_count(total, PER_PAGE),
        filters={"ordine": order, "preluare": claim},
        reminders=reminders,
        catalog=db.circuit().procedures(session),
        registration_text=registration_text,
    )


def _task_form(row: TaskRecord) -> dict[str, Any] | None:
    """Return the task's form as the request's version has it."""
    if not row.form:
        return None
    session = db.session()
    version_id = versions.instance_version(session, row.instance_id)
    return operations.form_schema(session, db.circuit(), row.form, version_id)


def _render_task(row: TaskRecord, **kw: Any) -> Any:
    session, circuit = db.session(), db.circuit()
    page = readmodel.request_page(session, circuit, current(), row.request_id, internal=True)
    schema = _task_form(row)
    fields = formrender.fields(schema, kw.get("values"), kw.get("errors")) if schema else []
    html = render_template(
        "office/task.html",
        task=row,
        schema=schema,
        fields=fields,
        errors=kw.get("errors") or {},
        is_ready=row.state == TaskState.READY,
        claimed_by_me=row.claimed_by_id == current().id,
        older=kw.get("older"),
        redirect_errors=kw.get("redirect_errors"),
        redirect_reason=kw.get("redirect_reason"),
        **_officials_context(row),
        **page_context(page),
    )
    return html, kw.get("status", 200)


@bp.route("/sarcini/<task_id>", methods=["GET", "POST"])
def task(task_id: str) -> Any:
    row = _task(task_id)
    if request.method == "GET":
        return _render_task(row)
    session = db.session()
    schema = _task_form(row) or {}
    data = formrender.parse(schema, request.form)
    reason = request.form.get("reason") or None
    try:
        req = operations.complete_task(session, db.circuit(), current(), task_id, data, reason)
        db.commit()
    except Invalid as exc:
        session.rollback()
        return _render_task(
            _task(task_id), values=data, errors=formrender.field_errors(exc.errors), status=422
        )
    except Conflict as exc:
        session.rollback()
        if exc.code == "out_of_order":  # the form again, kept, asking why the older one waits
            older = exc.extra["older_task"]
            return _render_task(_task(task_id), values=data, older=older, status=409)
        flash(exc.message, "error")
        return redirect(url_for("office.inbox"))
    flash(
        f"Sarcina „{row.name}” pentru cererea {registration_text(req)} a fost finalizată.",
        "success",
    )
    return redirect(url_for("office.inbox"))


def _officials_context(row: TaskRecord) -> dict[str, Any]:
    """What the task page needs to assign or redirect the task, and the request's history."""
    session, user = db.session(), current()
    is_head = row.department in user.head_of
    forward_by = forwarding.forward_by(db.circuit().calendar(session), row.request)
    staffed = {code for code, _ in organisation.staffed_departments(session)}
    return {
        "forward_by": forward_by,
        "forward_late": local_today() > forward_by,
        "assignable": officials.members(session, row.department, present_on=local_today())
        if is_head
        else [],
        "may_redirect": is_head or row.claimed_by_id == user.id,
        # Only departments someone works in: a task sent to an empty one would wait unseen.
        "redirect_to": [
            d
            for d in queries.departments(session)
            if d.code != row.department and d.code in staffed
        ],
        "history": officials.history(session, user, row.request_id, log_access=False),
    }


@bp.post("/sarcini/<task_id>/anexe")
def attach_annexes(task_id: str) -> Any:
    """Attach files to the answer (a scanned map, a copy from the archive), each registered."""
    row = _task(task_id)
    files = [
        documents.Upload("annex", f.filename or "document", f.read())
        for f in request.files.getlist("anexe")
        if f.filename
    ]
    try:
        added = annexes.attach(db.session(), db.circuit(), current(), task_id, files)
        db.commit()
    except (Invalid, Conflict) as exc:
        db.session().rollback()
        flash(exc.message, "error")
        return redirect(url_for("office.task", task_id=row.id))
    names = ", ".join(f"„{a.document.name}” (nr. {a.entry.display})" for a in added)
    flash(f"Anexat la răspuns și înregistrat: {names}.", "success")
    return redirect(url_for("office.task", task_id=row.id))


@bp.route("/sarcini/<task_id>/preluare", methods=["POST"])
def claim(task_id: str) -> Any:
    try:
        row = operations.claim_task(
            db.session(), current(), task_id, request.form.get("reason") or None
        )
        db.commit()
    except Conflict as exc:
        db.session().rollback()
        if exc.code == "out_of_order":
            older = exc.extra["older_task"]
            html = render_template("office/claim_reason.html", task=_task(task_id), older=older)
            return html, 409
        flash(exc.message, "error")
        return redirect(url_for("office.inbox"))
    flash(f"Ați preluat sarcina „{row.name}”.", "success")
    return redirect(url_for("office.task", task_id=task_id))


@bp.route("/sarcini/<task_id>/eliberare", methods=["POST"])
def release(task_id: str) -> Any:
    row = operations.release_task(db.session(), current(), task_id)
    db.commit()
    flash(f"Sarcina „{row.name}” a revenit în lista compartimentului.", "info")
    return redirect(url_for("office.inbox"))


def _refused(exc: Conflict | Invalid, task_id: str) -> Any:
    """Undo the attempt and show, on the task's page, why it was refused."""
    db.session().rollback()
    messages = [e["message"] for e in exc.errors] if isinstance(exc, Invalid) else []
    flash(" ".join(messages) or exc.message, "error")
    return redirect(url_for("office.task", task_id=task_id))


@bp.route("/sarcini/<task_id>/repartizare", methods=["POST"])
def assign(task_id: str) -> Any:
    try:
        user_id = bounds.form_id(request.form.get("user_id"))
        row = officials.assign_task(db.session(), current(), task_id, user_id)
        db.commit()
    except (Conflict, Invalid) as exc:
        return _refused(exc, task_id)
    holder = row.claimed_by.name if row.claimed_by else ""
    flash(f"Sarcina „{row.name}” a fost repartizată lui {holder}.", "success")
    return redirect(url_for("office.task", task_id=task_id))


@bp.route("/sarcini/<task_id>/redirectionare", methods=["POST"])
def redirect_task(task_id: str) -> Any:
    form = request.form
    try:
        row = officials.redirect_task(
            db.session(), current(), task_id, form.get("department"), form.get("reason")
        )
        db.commit()
    except Invalid as exc:  # the task's page again, each problem next to its field
        db.session().rollback()
        errors = {e["field"].lstrip("/"): e["message"] for e in exc.errors}
        return _render_task(
            _task(task_id), redirect_errors=errors, redirect_reason=form.get("reason"), status=422
        )
    except Conflict as exc:
        return _refused(exc, task_id)
    flash(f"Sarcina „{row.name}” a fost trimisă compartimentului {row.department}.", "success")
    return redirect(url_for("office.inbox"))


@bp.post("/sarcini/<task_id>/transmitere")
def forward_task(task_id: str) -> Any:
    form = request.form
    try:
        req = forwarding.forward_to_authority(
            db.session(),
            db.circuit(),
            current(),
            task_id,
            form.get("authority"),
            form.get("reason"),
        )
        db.commit()
    except (Conflict, Invalid) as exc:
        return _refused(exc, task_id)
    flash(
        f"Cererea {registration_text(req)} a fost transmisă autorității competente; "
        "solicitantul a fost anunțat.",
        "success",
    )
    return redirect(url_for("office.inbox"))


@bp.route("/cereri/<int:request_id>")
def request_detail(request_id: int, **kw: Any) -> Any:
    page = readmodel.request_page(db.session(), db.circuit(), current(), request_id, internal=True)
    mine = set(current().departments)
    history = officials.history(db.session(), current(), request_id, log_access=False)
    extendable = page.deadline.may_extend and terms.may_extend(
        db.session(), current(), page.request
    )
    html = render_template(
        "office/request.html",
        my_departments=mine,
        history=history,
        diagram=diagram.diagram_of(db.session(), page.request),
        extendable=extendable,
        max_extension=page.procedure.rules.extension_max_days if page.procedure else 0,
        extend_errors=kw.get("errors") or {},
        extend_values=kw.get("values") or {},
        **page_context(page),
    )
    return html, kw.get("status", 200)


@bp.route("/cereri/<int:request_id>/prelungire", methods=["POST"])
def extend(request_id: int) -> Any:
    days, reason = request.form.get("days", "").strip(), request.form.get("reason", "")
    try:
        req = terms.extend(db.session(), db.circuit(), current(), request_id, days, reason)
        db.commit()
    except (Conflict, Invalid) as exc:
        db.session().rollback()
        if isinstance(exc, Conflict):
            flash(exc.message, "error")
            return redirect(url_for("office.request_detail", request_id=request_id))
        errors = {e["field"].lstrip("/") or "form": e["message"] for e in exc.errors}
        if "form" in errors:
            flash(errors["form"], "error")
            return redirect(url_for("office.request_detail", request_id=request_id))
        values = {"days": days, "reason": reason}
        return request_detail(request_id, errors=errors, values=values, status=422)
    flash(
        f"Termenul cererii {registration_text(req)} a fost prelungit până la "
        f"{req.due_date:%d.%m.%Y}; petentul a fost anunțat.",
        "success",
    )
    return redirect(url_for("office.request_detail", request_id=request_id))
