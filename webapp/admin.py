"""Administration: the organisation's departments (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.people import organisation
from engine.platform.errors import Forbidden, Invalid
from webapp import db
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


def _render(errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Any:
    html = render_template(
        "admin/departments.html",
        departments=organisation.departments_with_people(db.session()),
        errors=errors or {},
        values=values or {},
    )
    return html, 422 if errors else 200


@bp.route("/compartimente", methods=["GET", "POST"])
def departments() -> Any:
    if request.method == "GET":
        return _render()
    values = {"code": request.form.get("code", ""), "name": request.form.get("name", "")}
    session = db.session()
    try:
        dept = organisation.add_department(session, values["code"], values["name"], current().id)
        db.commit()
    except Invalid as exc:
        session.rollback()
        return _render({e["field"].lstrip("/"): e["message"] for e in exc.errors}, values)
    flash(f"Compartimentul „{dept.name}” ({dept.code}) a fost adăugat.", "success")
    return redirect(url_for("admin.departments"))
