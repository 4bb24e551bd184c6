"""A citizen's account pages: profile, e-mail confirmation, password reset, notifications,
who handled their data, and the export of everything."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from engine.cases import documents, representation
from engine.messages import notify
from engine.people import links, mydata, profile, signup
from engine.platform.errors import BadRequest, Invalid
from engine.platform.local_url import same_site_path
from webapp import db, formrender, throttle
from webapp import errors as error_pages
from webapp.auth import current

bp = Blueprint("account", __name__)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["masked_cnp"] = mydata.masked_cnp

    @app.after_request
    def _commit_access_log(response: Response) -> Response:
        """Keep the record of an official's look at someone's data, also on pages that only
        read; a failed page commits nothing."""
        session = g.get("db")
        if session is not None and session.info.pop(mydata.ACCESS_LOGGED, False):
            if response.status_code < 400:
                session.commit()
        return response

    @app.context_processor
    def _unread() -> dict[str, Any]:
        if not current_user.is_authenticated:
            return {"unread_notifications": 0}
        return {"unread_notifications": notify.unread_count(db.session(), current())}


def _profile_page(errors: dict[str, str] | None = None, status: int = 200, **values: Any) -> Any:
    session = db.session()
    user = current()
    html = render_template(
        "account/profile.html",
        account=mydata.me(session, user),
        claims=representation.mine(session, user),
        status_words=representation.STATUS_WORDS,
        errors=errors or {},
        values=values,
    )
    return html, status


def _invalid(exc: Invalid, **values: Any) -> Any:
    db.session().rollback()
    return _profile_page(formrender.field_errors(exc.errors), 422, **values)


@bp.route("/cont")
@login_required
def profile_page() -> Any:
    return _profile_page()


@bp.route("/cont/nume", methods=["POST"])
@login_required
def change_name() -> Any:
    name = request.form.get("name", "")
    try:
        profile.change_name(db.session(), current(), name)
    except Invalid as exc:
        return _invalid(exc, name=name)
    db.commit()
    flash("Numele a fost schimbat.", "success")
    return redirect(url_for("account.profile_page"))


@bp.route("/cont/email", methods=["POST"])
@login_required
def change_email() -> Any:
    email = request.form.get("email", "")
    try:
        new = profile.change_email(db.session(), current(), email)
    except Invalid as exc:
        return _invalid(exc, email=email)
    db.commit()
    flash(
        f"V-am trimis un link de confirmare la {new}. Adresa contului se schimbă după ce îl "
        "deschideți.",
        "success",
    )
    return redirect(url_for("account.profile_page"))


@bp.route("/cont/parola", methods=["POST"])
@login_required
def change_password() -> Any:
    form = request.form
    try:
        if form.get("new_password", "") != form.get("new_password2", ""):
            raise Invalid([{"field": "/new_password2", "message": "Parolele nu coincid."}])
        profile.change_password(
            db.session(), current(), form.get("current_password", ""), form.get("new_password", "")
        )
    except Invalid as exc:
        return _invalid(exc)
    db.commit()
    flash("Parola a fost schimbată.", "success")
    return redirect(url_for("account.profile_page"))


def _proof(field: str) -> documents.Upload | None:
    file = request.files.get(field)
    if file is None or not file.filename:
        return None
    return documents.Upload("proof", file.filename, file.read())


def _claim(prefix: str, **who: str) -> Any:
    """Send a claim to act for a company or a person, with its proof; the registry checks it."""
    form = request.form
    name = form.get(f"{prefix}_name", "")
    try:
        representation.claim(
            db.session(),
            db.circuit().settings.documents_dir,
            current(),
            name=name,
            proof=_proof(f"{prefix}_proof"),
            **who,
        )
        db.commit()
    except Invalid as exc:
        for err in exc.errors:  # the page has several forms: name each field by its own
            err["field"] = f"/{prefix}_" + err["field"].lstrip("/")
        values = {f"{prefix}_{k}": v for k, v in who.items()} | {f"{prefix}_name": name}
        return _invalid(exc, **values)
    flash(
        "Am primit dovada de reprezentare. Registratura o verifică; veți primi o notificare "
        "când este acceptată sau refuzată.",
        "success",
    )
    return redirect(url_for("account.profile_page"))


@bp.route("/cont/firme", methods=["POST"])
@login_required
def add_company() -> Any:
    return _claim("company", cui=request.form.get("company_cui", ""))


@bp.route("/cont/reprezentare-persoana", methods=["POST"])
@login_required
def add_person() -> Any:
    return _claim("person", cnp=request.form.get("person_cnp", ""))


@bp.route("/cont/retrimite", methods=["POST"])
@login_required
def resend() -> Any:
    if signup.resend_verification(db.session(), current()):
        db.commit()
        flash(f"V-am trimis un nou link de confirmare la {current().email}.", "success")
    else:
        flash("Adresa de e-mail este deja confirmată.", "info")
    return redirect(
        same_site_path(request.referrer, request.host) or url_for("account.profile_page")
    )


@bp.route("/cont/confirmare/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    # A GET only shows a button: mail scanners that open links must not spend the link.
    if request.method == "GET":
        try:
            links.peek(db.session(), db.circuit().settings.secret_key, links.VERIFY, token)
        except BadRequest as exc:
            return render_template("account/confirm.html", error=exc.message), 400
        return render_template("account/confirm.html")
    try:
        signup.verify_email(db.session(), db.circuit().settings.secret_key, token)
        db.commit()
    except (BadRequest, IntegrityError) as exc:
        db.session().rollback()
        message = exc.message if isinstance(exc, BadRequest) else links.INVALID
        return render_template("account/confirm.html", error=message), 400
    flash("Adresa de e-mail a fost confirmată. Acum puteți depune cereri.", "success")
    return redirect(
        url_for("portal.catalog") if current_user.is_authenticated else url_for("auth.login")
    )


@bp.route("/parola-uitata", methods=["GET", "POST"])
def forgot_password() -> Any:
    if request.method == "POST":
        slot = throttle.signup()  # each asks for an e-mail: counted like sign-ups
        if not slot.allowed:
            return error_pages.page(429, throttle.signup_refused_message(slot))
        signup.request_password_reset(db.session(), request.form.get("email", ""))
        db.commit()
        return render_template("account/forgot.html", sent=True)
    return render_template("account/forgot.html", sent=False)


@bp.route("/parola-noua/<token>", methods=["GET", "POST"])
@bp.route("/cont/activare/<token>", methods=["GET", "POST"], defaults={"purpose": links.WELCOME})
def reset_password(token: str, purpose: str = links.RESET) -> Any:
    errors: dict[str, str] = {}
    secret = db.circuit().settings.secret_key
    try:
        links.peek(db.session(), secret, purpose, token)
    except BadRequest as exc:
        return render_template("account/reset.html", invalid=exc.message, errors={}), 400
    if request.method == "POST":
        form = request.form
        try:
            if form.get("password", "") != form.get("password2", ""):
                raise Invalid([{"field": "/password2", "message": "Parolele nu coincid."}])
            signup.reset_password(db.session(), secret, token, form.get("password", ""), purpose)
            db.commit()
        except Invalid as exc:
            db.session().rollback()
            errors = formrender.field_errors(exc.errors)
        except (BadRequest, IntegrityError):
            db.session().rollback()
            return render_template("account/reset.html", invalid=links.INVALID, errors={}), 400
        else:
            flash("Parola a fost schimbată. Autentificați-vă cu parola nouă.", "success")
            return redirect(url_for("auth.login"))
    return render_template("account/reset.html", invalid=None, errors=errors), (
        422 if errors else 200
    )


@bp.route("/cont/notificari")
@login_required
def notifications() -> Any:
    session = db.session()
    notes = notify.own(session, current())
    unread = {n.id for n in notes if n.read_at is None}
    notify.mark_read(session, current())  # seen now: the header's count drops
    html = render_template("account/notifications.html", notes=notes, unread=unread)
    db.commit()
    return html


@bp.route("/cont/acces")
@login_required
def access_log() -> Any:
    session = db.session()
    return render_template(
        "account/access_log.html",
        entries=mydata.access_log(session, current()),
        labels=mydata.ACTION_LABELS,
        departments=dict(db.circuit().departments(session)),
    )


@bp.route("/cont/export")
@login_required
def export() -> Any:
    body = json.dumps(mydata.export(db.session(), current()), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="datele-mele.json"'},
    )
