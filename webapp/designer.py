"""The designers' pages (administrators only): each procedure's versions, the requests running
on each, and the diagram with how many requests wait at each step."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from engine.cases import designer, migration
from engine.platform import bounds
from engine.platform.errors import BadRequest, Forbidden
from webapp import db
from webapp.auth import current
from webapp.extensions import login_manager

bp = Blueprint("designer", __name__, url_prefix="/administrare/proceduri")


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current().is_admin:
        raise Forbidden("Această pagină este destinată administratorilor.")
    return None


@bp.route("/")
def procedures() -> Any:
    catalog = db.circuit().procedures(db.session())
    overview = designer.procedures_overview(db.session())
    rows = [(pid, catalog.get(pid), versions) for pid, versions in overview]
    return render_template("designer/procedures.html", rows=rows)


def _page(procedure_id: str, number: int | None, **kw: Any) -> Any:
    design = designer.procedure_design(db.session(), procedure_id, number)
    proc = db.circuit().procedures(db.session()).get(procedure_id)
    return render_template("designer/procedure.html", design=design, proc=proc, **kw)


@bp.route("/<procedure_id>")
def procedure(procedure_id: str) -> Any:
    return _page(procedure_id, bounds.form_id(request.args.get("versiune")))


@bp.route("/<procedure_id>/mutare", methods=["POST"])
def migrate(procedure_id: str) -> Any:
    """Move the running requests to a version; with `simulare`, only say what would move."""
    dry_run = bool(request.form.get("simulare"))
    to = bounds.form_id(request.form.get("versiune"))
    session = db.session()
    try:
        if to is None:
            raise BadRequest("Alegeți versiunea pe care se mută cererile.")
        mapping = migration.parse_mapping(request.form.get("corespondente", "").splitlines())
        report = migration.migrate(
            session, db.circuit(), procedure_id, to, mapping, actor_id=current().id
        )
    except BadRequest as exc:
        session.rollback()
        return _page(procedure_id, None, migration_error=exc.message), 422
    if dry_run:
        session.rollback()
    else:
        db.commit()
    return _page(procedure_id, None, report=report, dry_run=dry_run)
