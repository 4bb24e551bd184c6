"""Administration (admins only): departments, the people who work in them, and the log of
every change made to either."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.cases import bridge, failed_jobs, stuck
from engine.people import adminlog, organisation, staff
from engine.platform import bounds
from engine.platform.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ProcessFailure,
)
from engine.platform.wording import count
from webapp import db, formrender
from webapp.auth import current
from webapp.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/administrare")


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current().is_admin:
        raise Forbidden("Această pagină este destinată administratorilor.")
    return None


def _page() -> int:
    return bounds.form_id(request.args.get("pagina")) or 1


def _field_errors(exc: Invalid) -> dict[str, str]:
    db.session().rollback()
    return formrender.field_errors(exc.errors)


# Departments


def _departments(errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Any:
    html = render_template(
        "admin/departments.html",
        rows=organisation.departments_overview(db.session(), db.circuit()),
        errors=errors or {},
        values=values or {},
    )
    return html, 422 if errors else 200


@bp.route("/compartimente", methods=["GET", "POST"])
def departments() -> Any:
    if request.method == "GET":
        return _departments()
    values = {"code": request.form.get("code", ""), "name": request.form.get("name", "")}
    try:
        dept = organisation.add_department(
            db.session(), values["code"], values["name"], current().id
        )
        db.commit()
    except Invalid as exc:
        return _departments(_field_errors(exc), values)
    flash(f"Compartimentul „{dept.name}” ({dept.code}) a fost adăugat.", "success")
    return redirect(url_for("admin.departments"))


def _department(code: str, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    session, circuit = db.session(), db.circuit()
    dept = organisation.department(session, code)
    row = next(
        r for r in organisation.departments_overview(session, circuit) if r.department is dept
    )
    problems = organisation.deactivation_problems(session, circuit, dept) if dept.active else []
    html = render_template("admin/department.html", row=row, problems=problems, errors=errors or {})
    return html, status


@bp.route("/compartimente/<code>")
def department(code: str) -> Any:
    return _department(code)


@bp.route("/compartimente/<code>/denumire", methods=["POST"])
def rename_department(code: str) -> Any:
    try:
        dept = organisation.rename_department(
            db.session(), current(), code, request.form.get("name", "")
        )
        db.commit()
    except Invalid as exc:
        return _department(code, _field_errors(exc), 422)
    flash(f"Compartimentul se numește acum „{dept.name}”.", "success")
    return redirect(url_for("admin.department", code=code))


@bp.route("/compartimente/<code>/dezactivare", methods=["POST"])
def deactivate_department(code: str) -> Any:
    try:
        dept = organisation.deactivate_department(db.session(), db.circuit(), current(), code)
        db.commit()
    except Conflict as exc:
        db.session().rollback()
        return _department(code, {"": exc.message}, 409)
    flash(f"Compartimentul „{dept.name}” a fost dezactivat.", "success")
    return redirect(url_for("admin.department", code=code))


@bp.route("/compartimente/<code>/reactivare", methods=["POST"])
def reactivate_department(code: str) -> Any:
    dept = organisation.reactivate_department(db.session(), current(), code)
    db.commit()
    flash(f"Compartimentul „{dept.name}” a fost reactivat.", "success")
    return redirect(url_for("admin.department", code=code))


# Bridge days


def _bridge_days(errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Any:
    coming, past = bridge.upcoming(db.session())
    html = render_template(
        "admin/bridge_days.html",
        coming=coming,
        past=past,
        errors=errors or {},
        values=values or {},
    )
    return html, 422 if errors else 200


@bp.route("/zile-libere", methods=["GET", "POST"])
def bridge_days() -> Any:
    if request.method == "GET":
        return _bridge_days()
    values = {"day": request.form.get("day", ""), "name": request.form.get("name", "")}
    session, circuit = db.session(), db.circuit()
    try:
        day = bridge.parse_day(values["day"])
        row, moved = bridge.declare(session, circuit, day, values["name"], current().id)
        db.commit()
    except Invalid as exc:
        return _bridge_days(_field_errors(exc), values)
    flash(
        f"Ziua {row.day:%d.%m.%Y} a fost declarată liberă ({row.name}); "
        f"{count(moved, 'termen de răspuns s-a mutat', 'termene de răspuns s-au mutat')}.",
        "success",
    )
    return redirect(url_for("admin.bridge_days"))


@bp.route("/zile-libere/<day>/retragere", methods=["POST"])
def withdraw_bridge_day(day: str) -> Any:
    session, circuit = db.session(), db.circuit()
    try:
        when = bridge.parse_day(day)
        moved = bridge.withdraw(session, circuit, when, current().id)
        db.commit()
    except Invalid as exc:
        return _bridge_days(_field_errors(exc))
    flash(
        f"Ziua {when:%d.%m.%Y} nu mai este liberă; "
        f"{count(moved, 'termen de răspuns s-a mutat', 'termene de răspuns s-au mutat')}.",
        "success",
    )
    return redirect(url_for("admin.bridge_days"))


# People


@bp.route("/personal")
def people() -> Any:
    filters = {
        "q": request.args.get("q", "")[:200],
        "departament": request.args.get("departament", "")[:64],
        "stare": request.args.get("stare", "active"),
    }
    if filters["stare"] not in staff.STATUSES:
        filters["stare"] = "active"
    session = db.session()
    found = staff.list_staff(
        session,
        query=filters["q"],
        department=filters["departament"],
        status=filters["stare"],
        page=_page(),
    )
    return render_template(
        "admin/people.html",
        found=found,
        filters=filters,
        departments=organisation.departments_with_people(session),
        names=organisation.department_names(session),
    )


def _chosen() -> dict[str, Any]:
    form = request.form
    return {
        "departments": form.getlist("departments"),
        "heads": form.getlist("heads"),
        "is_admin": form.get("is_admin") == "1",
    }


@bp.route("/personal/nou", methods=["GET", "POST"])
def new_person() -> Any:
    values: dict[str, Any] = {"name": "", "email": "", "departments": [], "heads": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"name": request.form.get("name", ""), "email": request.form.get("email", "")}
        values |= _chosen()
        try:
            user = staff.add_official(db.session(), current(), **values)
            db.commit()
        except Invalid as exc:
            errors = _field_errors(exc)
        else:
            flash(
                f"Contul lui {user.name} a fost creat. I-am trimis la {user.email} un link "
                "cu care își alege parola (valabil 7 zile).",
                "success",
            )
            return redirect(url_for("admin.person", user_id=user.id))
    html = render_template(
        "admin/new_person.html",
        departments=organisation.active_departments(db.session()),
        values=values,
        errors=errors,
    )
    return html, 422 if errors else 200


def _person(
    user_id: int,
    errors: dict[str, str] | None = None,
    status: int = 200,
    warnings: list[str] | None = None,
    chosen: dict[str, Any] | None = None,
) -> Any:
    session = db.session()
    user = staff.person(session, user_id)
    html = render_template(
        "admin/person.html",
        person=user,
        departments=[dept for dept, _ in organisation.departments_with_people(session)],
        errors=errors or {},
        warnings=warnings or [],
        chosen=chosen
        or {"departments": user.departments, "heads": user.head_of, "is_admin": user.is_admin},
    )
    return html, status


@bp.route("/personal/<int:user_id>")
def person(user_id: int) -> Any:
    return _person(user_id)


@bp.route("/personal/<int:user_id>/nume", methods=["POST"])
def rename_person(user_id: int) -> Any:
    try:
        user = staff.rename(db.session(), current(), user_id, request.form.get("name", ""))
        db.commit()
    except Invalid as exc:
        return _person(user_id, _field_errors(exc), 422)
    flash(f"Numele a fost schimbat în „{user.name}”.", "success")
    return redirect(url_for("admin.person", user_id=user_id))


@bp.route("/personal/<int:user_id>/roluri", methods=["POST"])
def set_roles(user_id: int) -> Any:
    chosen = _chosen()
    try:
        user = staff.set_roles(
            db.session(),
            db.circuit(),
            current(),
            user_id,
            acknowledged=request.form.get("acknowledged") == "1",
            **chosen,
        )
        db.commit()
    except Invalid as exc:
        return _person(user_id, _field_errors(exc), 422, chosen=chosen)
    except Conflict as exc:
        db.session().rollback()
        if exc.code == "leaves_unstaffed":
            return _person(user_id, status=409, warnings=exc.extra["warnings"], chosen=chosen)
        return _person(user_id, {"roles": exc.message}, 409, chosen=chosen)
    flash(f"Compartimentele și rolurile lui {user.name} au fost salvate.", "success")
    return redirect(url_for("admin.person", user_id=user_id))


@bp.route("/personal/<int:user_id>/dezactivare", methods=["GET", "POST"])
def deactivate_person(user_id: int) -> Any:
    session = db.session()
    if request.method == "POST":
        user = staff.deactivate(session, db.circuit(), current(), user_id, acknowledged=True)
        db.commit()
        flash(f"Contul lui {user.name} a fost dezactivat.", "success")
        return redirect(url_for("admin.person", user_id=user_id))
    preview = staff.deactivation_preview(session, db.circuit(), current(), user_id)
    user = staff.person(session, user_id)
    return render_template("admin/deactivate.html", person=user, preview=preview)


@bp.route("/personal/<int:user_id>/reactivare", methods=["POST"])
def reactivate_person(user_id: int) -> Any:
    user = staff.reactivate(db.session(), current(), user_id)
    db.commit()
    flash(f"Contul lui {user.name} a fost reactivat.", "success")
    return redirect(url_for("admin.person", user_id=user_id))


# The log


@bp.route("/jurnal")
def log() -> Any:
    return render_template("admin/log.html", log=adminlog.read(db.session(), _page()))


# Background jobs that kept failing


@bp.route("/lucrari")
def failed_jobs_page() -> Any:
    rows = failed_jobs.listing(db.session())
    return render_template("admin/failed_jobs.html", rows=rows)


@bp.route("/lucrari/<int:failed_id>/reincercare", methods=["POST"])
def retry_failed_job(failed_id: int) -> Any:
    try:
        row = failed_jobs.retry(db.session(), failed_id)
        kind = failed_jobs.KINDS.get(row.name, row.name)
        db.commit()
    except (NotFound, Conflict) as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.failed_jobs_page"))
    flash(f"Lucrarea nr. {failed_id} ({kind}) a fost trimisă din nou la worker.", "success")
    return redirect(url_for("admin.failed_jobs_page"))


# Stuck requests: a step the diagram could not run


def _stuck(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    html = render_template(
        "admin/stuck.html",
        rows=stuck.stuck_requests(db.session()),
        what_to_do=stuck.WHAT_TO_DO,
        errors=errors or {},
    )
    return html, status


@bp.route("/blocate")
def stuck_requests() -> Any:
    return _stuck()


@bp.route("/blocate/<int:request_id>/reincercare", methods=["POST"])
def retry_stuck(request_id: int) -> Any:
    try:
        req = stuck.retry(db.session(), db.circuit(), current(), request_id)
        db.commit()
    except ProcessFailure:  # undone; the new failure is kept in the audit by the engine
        db.session().rollback()
        flash(
            "Pasul a eșuat din nou: corectați diagrama și instalați-o, apoi reîncercați.", "error"
        )
        return redirect(url_for("admin.stuck_requests"))
    except (Conflict, NotFound) as exc:
        db.session().rollback()
        return _stuck({str(request_id): exc.message}, 409)
    flash(f"Pasul cererii nr. {req.registration_display} a rulat din nou.", "success")
    return redirect(url_for("admin.stuck_requests"))


@bp.route("/blocate/<int:request_id>/incheiere", methods=["POST"])
def end_stuck(request_id: int) -> Any:
    try:
        req = stuck.end_with_answer(
            db.session(),
            db.circuit(),
            current(),
            request_id,
            request.form.get("answer", ""),
            request.form.get("solved") == "da",
        )
        db.commit()
    except (BadRequest, NotFound) as exc:
        db.session().rollback()
        return _stuck({str(request_id): exc.message}, 422)
    flash(
        f"Cererea nr. {req.registration_display} a fost încheiată; petentul a fost anunțat.",
        "success",
    )
    return redirect(url_for("admin.stuck_requests"))
