"""The archive's pages for officials: search with filters, a document, the retention list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from engine.archive import retention, search, store
from engine.people import mydata
from engine.platform.errors import Invalid
from webapp import db
from webapp.api.archive import query_from_args
from webapp.auth import current
from webapp.extensions import login_manager

bp = Blueprint("archive_pages", __name__, url_prefix="/arhiva")


@bp.before_request
def _officials_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    search.require_official(current())
    return None


@bp.get("/")
def index() -> Any:
    session = db.session()
    query = query_from_args()
    found = search.search(session, current(), query) if request.args else None
    return render_template(
        "archive/search.html",
        query=query,
        found=found,
        years=search.years(session),
        per_page=search.PER_PAGE,
    )


@bp.get("/documente/<int:archive_id>")
def document(archive_id: int) -> Any:
    doc = search.open_document(db.session(), current(), archive_id)
    page = render_template("archive/document.html", doc=doc)
    db.commit()  # the access log of an opening that holds personal data
    return page


@bp.get("/documente/<int:archive_id>/fisier")
def download(archive_id: int) -> Any:
    doc = search.open_document(db.session(), current(), archive_id, mydata.DOWNLOADED)
    path, mime, name = store.file_of(db.circuit().settings, doc), doc.mime, doc.original_name
    db.commit()
    return send_file(path, mimetype=mime, as_attachment=True, download_name=name)


@bp.get("/pastrare")
def past_retention() -> Any:
    session = db.session()
    rows = retention.past_retention(session, db.circuit(), current())
    return render_template("archive/retention.html", rows=rows)


@bp.post("/pastrare/decizie")
def decide() -> Any:
    """Record the selection commission's decision on the documents ticked in the list."""
    ids = [int(v) for v in request.form.getlist("document") if v.isdigit()]
    try:
        decision = retention.decide(
            db.session(),
            current(),
            ids,
            request.form.get("outcome", ""),
            request.form.get("number", ""),
            request.form.get("reason", ""),
        )
        db.commit()
    except Invalid as exc:
        db.rollback()
        for error in exc.errors:
            flash(error["message"], "error")
        return redirect(url_for("archive_pages.past_retention"))
    count = len(decision.document_ids)
    which = "un document" if count == 1 else f"{count} {'de ' if count >= 20 else ''}documente"
    flash(
        f"Decizia din procesul-verbal {decision.number} a fost consemnată pentru {which}: "
        f"{retention.OUTCOMES[decision.outcome]}."
    )
    return redirect(url_for("archive_pages.past_retention"))
