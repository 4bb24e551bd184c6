"""Accounts in the API: tokens, sign up, confirm, reset, /me and what it holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify, request, send_file, url_for
from sqlalchemy.exc import IntegrityError

from engine import audit
from engine.cases import documents, representation
from engine.messages import notify
from engine.people import accounts, links, mydata, profile, sessions, signup
from engine.platform.errors import BadRequest, Invalid, Unauthorized
from engine.platform.timeutil import iso
from webapp import db, throttle
from webapp.api.common import authenticated, json_body, me, throttled
from webapp.auth import bearer_token, signup_form

bp = Blueprint("accounts", __name__)


def _text(body: dict[str, Any], name: str) -> str:
    """Return a text field ("" when absent); any other JSON type is refused with 422."""
    _check_texts(body, name)
    value = body.get(name)
    return value if isinstance(value, str) else ""


def _check_texts(body: dict[str, Any], *names: str) -> None:
    wrong = [n for n in names if body.get(n) is not None and not isinstance(body[n], str)]
    if wrong:
        raise Invalid([{"field": f"/{n}", "message": "Trebuie să fie text."} for n in wrong])


@bp.post("/auth/token")
def token() -> Any:
    body = json_body()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise BadRequest("Trimiteți „email” și „password”.")
    slot = throttle.login(email)
    if not slot.allowed:
        return throttled(slot, "throttled", throttle.login_refused_message(slot))
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


@bp.post("/accounts")
def create_account() -> Any:
    body = json_body()
    slot = throttle.signup()
    if not slot.allowed:
        return throttled(slot, "throttled", throttle.signup_refused_message(slot))
    try:
        result = signup.sign_up(db.session(), signup_form(body))
        db.commit()
        answer = {"id": result.public_id, "email": result.email, "verified": False}
    except IntegrityError:  # the same address or CNP signed up twice at once: same answer
        db.session().rollback()
        email = body.get("email")
        answer = {"id": signup.decoy_id(), "email": email, "verified": False}
    return jsonify(answer), 201


@bp.post("/accounts/verify")
def verify_account() -> Any:
    token = _text(json_body(), "token")
    try:
        user = signup.verify_email(db.session(), db.circuit().settings.secret_key, token)
        db.commit()
    except IntegrityError:
        db.session().rollback()
        raise BadRequest(links.INVALID, code="invalid_token") from None
    return {"verified": True, "email": user.email}


@bp.post("/accounts/verify/resend")
@authenticated
def resend_verification() -> Any:
    sent = signup.resend_verification(db.session(), me())
    db.commit()
    return {"sent": sent}, 202


@bp.post("/accounts/password-reset")
def password_reset() -> Any:
    slot = throttle.signup()  # each asks for an e-mail: counted like sign-ups
    if not slot.allowed:
        return throttled(slot, "throttled", throttle.signup_refused_message(slot))
    signup.request_password_reset(db.session(), _text(json_body(), "email"))
    db.commit()
    return {"message": "Dacă există un cont cu această adresă, i-am trimis un link."}, 202


@bp.post("/accounts/password-reset/confirm")
def password_reset_confirm() -> Any:
    body = json_body()
    secret = db.circuit().settings.secret_key
    try:
        signup.reset_password(db.session(), secret, _text(body, "token"), _text(body, "password"))
        db.commit()
    except IntegrityError:
        db.session().rollback()
        raise BadRequest(links.INVALID, code="invalid_token") from None
    return {"ok": True}


@bp.get("/me")
@authenticated
def get_me() -> Any:
    return mydata.me(db.session(), me())


@bp.patch("/me")
@authenticated
def patch_me() -> Any:
    body, session, user = json_body(), db.session(), me()
    _check_texts(body, "name", "email", "password", "current_password")
    if "name" in body:
        profile.change_name(session, user, _text(body, "name"))
    if "password" in body:
        profile.change_password(
            session, user, _text(body, "current_password"), _text(body, "password")
        )
    pending = profile.change_email(session, user, _text(body, "email")) if "email" in body else None
    db.commit()
    return {**mydata.me(session, user), "pending_email": pending}


@bp.post("/me/companies")
@authenticated
def add_company() -> Any:
    """Ask to act for a company (`cui`) or a person (`cnp`), with the `proof` file."""
    multipart = request.mimetype == "multipart/form-data"
    body: Any = request.form if multipart else json_body()
    file = request.files.get("proof") if multipart else None
    proof = documents.Upload("proof", file.filename or "dovada", file.read()) if file else None
    cnp = _text(body, "cnp") if "cnp" in body else None
    row = representation.claim(
        db.session(),
        db.circuit().settings.documents_dir,
        me(),
        name=_text(body, "name"),
        proof=proof,
        cui=None if cnp is not None else _text(body, "cui"),
        cnp=cnp,
    )
    db.commit()
    return representation_json(row), 201


def representation_json(row: Any) -> dict[str, Any]:
    """Serialize a claim to act for a company or a person, as its holder sees it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "cui": row.cui,
        "name": row.name,
        "status": row.status.value,
        "reason": row.reason,
    }


def _registry() -> str:
    return db.circuit().settings.registry_department


@bp.get("/companies")
@authenticated
def pending_companies() -> Any:
    wanted = request.args.get("status", "pending")
    if wanted != "pending":
        raise BadRequest("Se pot lista doar reprezentările în așteptare (status=pending).")
    rows = representation.pending(db.session(), me(), _registry())
    return {
        "companies": [
            {
                **representation_json(row),
                "represented": representation.represented(row),
                "applicant": {"name": row.user.name, "email": row.user.email},
                "created_at": iso(row.created_at),
                "proof_url": url_for("api.accounts.company_proof", claim_id=row.id)
                if row.proof_sha256
                else None,
            }
            for row in rows
        ]
    }


@bp.get("/companies/<int:claim_id>/proof")
@authenticated
def company_proof(claim_id: int) -> Any:
    row = representation.claim_for_checker(db.session(), me(), claim_id, _registry())
    path = representation.proof_file(db.circuit().settings.documents_dir, row)
    return send_file(
        path, mimetype=row.proof_mime, as_attachment=True, download_name=row.proof_name
    )


@bp.post("/companies/<int:claim_id>/verify")
@authenticated
def verify_company(claim_id: int) -> Any:
    body = json_body()
    row = representation.decide(
        db.session(), me(), claim_id, body.get("decision"), body.get("reason"), _registry()
    )
    db.commit()
    return representation_json(row)


@bp.get("/me/notifications")
@authenticated
def my_notifications() -> Any:
    notes = notify.own(db.session(), me())
    return {"notifications": [mydata.notification_entry(n) for n in notes]}


@bp.post("/me/notifications/read")
@authenticated
def read_notifications() -> Any:
    count = notify.mark_read(db.session(), me())
    db.commit()
    return {"marked": count}


@bp.get("/me/access-log")
@authenticated
def my_access_log() -> Any:
    entries = mydata.access_log(db.session(), me())
    return {"entries": [mydata.access_entry(e) for e in entries]}


@bp.get("/me/export")
@authenticated
def my_export() -> Any:
    return mydata.export(db.session(), me())
