"""Logging in and out, signing up, and who the current user is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_login import (
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
    user_logged_in,
)
from sqlalchemy.exc import IntegrityError

from engine import audit
from engine.models import User
from engine.people import accounts, sessions, signup
from engine.platform.errors import Invalid
from engine.platform.local_url import local_path
from engine.register import access
from webapp import db, formrender, throttle
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
        sid = session.get(SESSION_KEY)
        if not user_id.isdigit() or not isinstance(sid, str):
            return None
        user = sessions.session_user(db.session(), int(user_id), sid)
        return WebUser(user) if user is not None else None

    user_logged_in.connect(_open_server_session, app)

    @app.context_processor
    def _inject() -> dict[str, object]:
        user = current_user.user if current_user.is_authenticated else None
        reads = user is not None and access.may_read_register(user)
        return {"me": user, "reads_register": reads}


SESSION_KEY = "sid"


def _open_server_session(_app: Flask, user: WebUser, **_kw: Any) -> None:
    """Record every sign-in on the server (whichever view logs in), so it can be ended."""
    ttl = timedelta(hours=db.circuit().settings.session_ttl_hours)
    session[SESSION_KEY] = sessions.open_session(db.session(), user.user, ttl)
    db.commit()


def home_for(user: User) -> str:
    if user.is_official:
        return url_for("office.inbox")
    return url_for("overview.index") if user.is_admin else url_for("portal.my_requests")


@bp.route("/autentificare", methods=["GET", "POST"])
def login() -> object:
    if current_user.is_authenticated:
        return redirect(home_for(current()))
    error = None
    status = 200
    headers: dict[str, str] = {}
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        slot = throttle.login(email)
        if not slot.allowed:
            error, status = throttle.login_refused_message(slot), 429
            headers["Retry-After"] = str(slot.retry_after)
        else:
            user = accounts.authenticate(db.session(), email, request.form.get("password", ""))
            if user is None:
                error, status = "Adresa de e-mail sau parola nu este corectă.", 401
            else:
                throttle.release(slot)
                session.clear()
                session.permanent = True
                login_user(WebUser(user))
                audit.record(db.session(), "login", actor_id=user.id, channel="web")
                db.commit()
                return redirect(local_path(request.args.get("next")) or home_for(user))
    html = render_template("auth/login.html", error=error, email=email[:254])
    return html, status, headers


@bp.route("/iesire", methods=["POST"])
@login_required
def logout() -> object:
    sid = session.get(SESSION_KEY)
    if isinstance(sid, str):
        sessions.end_session(db.session(), sid)
    audit.record(db.session(), "logout", actor_id=current().id, channel="web")
    db.commit()
    logout_user()
    session.clear()
    flash("V-ați deconectat.", "info")
    return redirect(url_for("auth.login"))


def signup_form(form: Any) -> signup.SignUp:
    """Read the sign-up fields of a web form or a JSON body."""
    company = form.get("company") if isinstance(form.get("company"), dict) else {}

    def text(name: str, default: Any = "") -> str:
        value = form.get(name, default)
        return value if isinstance(value, str) else ""

    return signup.SignUp(
        name=text("name"),
        email=text("email"),
        password=text("password"),
        cnp=text("cnp").strip() or None,
        birth_date=text("birth_date").strip() or None,
        id_document=text("id_document").strip() or None,
        company_cui=text("company_cui") or str(company.get("cui") or "") or None,
        company_name=text("company_name") or str(company.get("name") or "") or None,
    )


@bp.route("/cont-nou", methods=["GET", "POST"], endpoint="signup")
def signup_page() -> object:
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        slot = throttle.signup()
        if not slot.allowed:
            errors[""] = throttle.signup_refused_message(slot)
            return render_template("auth/signup.html", errors=errors, form=form), 429
        if form.get("password", "") != form.get("password2", ""):
            errors["password2"] = "Parolele nu coincid."
        try:
            result = signup.sign_up(db.session(), signup_form(form))
            if errors:
                raise Invalid([])
            db.commit()
        except Invalid as exc:
            db.session().rollback()
            errors = {**formrender.field_errors(exc.errors), **errors}
        except IntegrityError:  # the same address signed up twice at once: same answer
            db.session().rollback()
            return render_template("auth/signup_sent.html", email=form.get("email", ""))
        else:
            return render_template("auth/signup_sent.html", email=result.email)
    status = 422 if errors else 200
    return render_template("auth/signup.html", errors=errors, form=form), status


def bearer_token() -> str | None:
    """Return the bearer token the request carries, if any."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


def bearer_user() -> User | None:
    """Return the user of the request's bearer token, if valid."""
    token = bearer_token()
    user = sessions.user_for_token(db.session(), token) if token else None
    g.api_user = user
    return user
