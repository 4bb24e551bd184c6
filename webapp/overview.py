"""The administrators' landing page: open, at-risk and overdue tasks per department."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from engine.cases import officials, queries
from engine.people import organisation
from webapp import db
from webapp.auth import current
from webapp.extensions import login_manager

bp = Blueprint("overview", __name__, url_prefix="/administrare")


@bp.before_request
def _signed_in() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.route("/")
def index() -> Any:
    session = db.session()
    rows = officials.overview(session, current())
    # Departments a procedure needs with nobody in them: the first problem to fix.
    unstaffed: dict[str, list[str]] = {}
    for procedure, code in organisation.unstaffed_lanes(session, db.circuit()):
        unstaffed.setdefault(code, []).append(procedure)
    catalog = db.circuit().procedures(session)
    titles = {p.id: p.title for p in catalog.all()}
    return render_template(
        "overview/index.html",
        rows=rows,
        names=queries.department_names(session),
        unstaffed=sorted(unstaffed.items()),
        titles=titles,
    )
