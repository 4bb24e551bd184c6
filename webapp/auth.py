"""Logging in and out, signing up, and who the current user is."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from engine import accounts, audit
from engine.cnp import birth_date, validate_cnp
from engine.errors import BadRequest
from engine.models import User
from engine.timeutil import local_today
from webapp import db, throttle
from webapp.extensions import login_manager

bp = Blueprint("auth", __name__)


class WebUser(UserMixin):
    """The Flask-Login view of an account; the engine's User is in `.user`."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = str(user.id)


def current() -> User:
    """Return the logged-in engine user (views behind login_required only)."""
    return current_user.user  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Autentificați-vă pentru a continua."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load(user_id: str) -> WebUser | None:
        user = accounts.user_by_id(db.session(), int(user_id)) if user_id.isdigit() else None
        return WebUser(user) if user is not None else None

    @app.context_processor
    def _inject() -> dict[str, object]:
        user = current_user.user if current_user.is_authenticated else None
        return {"me": user}


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


def home_for(user: User) -> str:
    if user.is_official:
        return url_for("office.inbox")
    return url_for("overview.index") if user.is_admin else url_for("portal.my_requests")


@bp.route("/autentificare", methods=["GET", "POST"])
def login() -> object:
    if current_user.is_authenticated:
        return redirect(home_for(current()))
    error = None
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        if not throttle.allow("login", email):
            error = "Prea multe încercări. Așteptați câteva minute și încercați din nou."
        else:
            user = accounts.authenticate(db.session(), email, request.form.get("password", ""))
            if user is None:
                throttle.failed("login", email)
                error = "Adresa de e-mail sau parola nu este corectă."
            else:
                session.clear()
                session.permanent = True
                login_user(WebUser(user))
                audit.record(db.session(), "login", actor_id=user.id, channel="web")
                db.commit()
                return redirect(_safe_next(request.args.get("next")) or home_for(user))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, email=email), status


@bp.route("/iesire", methods=["POST"])
@login_required
def logout() -> object:
    logout_user()
    session.clear()
    flash("V-ați deconectat.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/cont-nou", methods=["GET", "POST"])
def signup() -> object:
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        name = form.get("name", "").strip()
        email = form.get("email", "").strip()
        password = form.get("password", "")
        cnp = form.get("cnp", "").strip() or None
        if len(name) < 3:
            errors["name"] = "Scrieți numele complet."
        if password != form.get("password2", ""):
            errors["password2"] = "Parolele nu coincid."
        if cnp:
            try:
                validate_cnp(cnp)
                born = birth_date(cnp)
                today = local_today()
                if (
                    born is not None
                    and (
                        today.year - born.year - ((today.month, today.day) < (born.month, born.day))
                    )
                    < 18
                ):
                    errors["cnp"] = "Contul poate fi creat doar de persoane majore (18 ani)."
            except BadRequest as exc:
                errors["cnp"] = exc.message
        if not errors:
            try:
                user = accounts.create_user(db.session(), email, name, password, cnp=cnp)
            except BadRequest as exc:
                field = "password" if "Parola" in exc.message else "email"
                errors[field] = exc.message
            else:
                db.commit()
                session.clear()
                session.permanent = True
                login_user(WebUser(user))
                flash("Contul a fost creat. Bine ați venit!", "success")
                return redirect(url_for("portal.catalog"))
    status = 422 if errors else 200
    return render_template("auth/signup.html", errors=errors, form=form), status


def bearer_user() -> User | None:
    """Return the user of the request's bearer token, if valid."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    user = accounts.user_for_token(db.session(), header[7:].strip())
    g.api_user = user
    return user
