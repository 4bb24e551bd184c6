"""Error pages in Romanian for people, JSON errors for the API's paths."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.platform.errors import CircuitError, Unauthorized
from webapp import db, throttle

log = logging.getLogger(__name__)

CSRF_MESSAGE = "Sesiunea formularului a expirat. Reîncărcați pagina și încercați din nou."

PAGES: dict[int, tuple[str, str]] = {
    400: (
        "Cererea nu a putut fi procesată",
        "Datele trimise nu sunt corecte. Reveniți la pagina anterioară și încercați din nou.",
    ),
    401: ("Autentificare necesară", "Autentificați-vă pentru a continua."),
    403: (
        "Acces interzis",
        "Nu aveți dreptul să vedeți această pagină sau să faceți această acțiune.",
    ),
    404: ("Pagina nu există", "Pagina sau documentul căutat nu există ori nu vă este accesibil."),
    405: ("Acțiune nepermisă", "Această adresă nu acceptă acțiunea cerută."),
    409: ("Conflict", "Acțiunea nu mai este posibilă: între timp, datele s-au schimbat."),
    413: (
        "Fișiere prea mari",
        "Fișierele trimise depășesc împreună dimensiunea maximă permisă pentru o trimitere.",
    ),
    422: ("Date incorecte", "Datele trimise nu sunt valide."),
    429: ("Prea multe încercări", "Așteptați câteva minute și încercați din nou."),
    500: (
        "Eroare neașteptată",
        "A apărut o eroare neașteptată. Încercați din nou peste câteva minute; dacă problema "
        "persistă, contactați registratura primăriei.",
    ),
}


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_")


def _limit_text() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return ""
    return (
        f" Limita totală pentru o trimitere este de {limit // (1024 * 1024)} MB, oricât de mic "
        "ar fi fiecare fișier în parte. Nimic nu a fost înregistrat: reveniți la formular și "
        "alegeți fișiere mai mici sau mai puține (le puteți trimite pe celelalte ulterior)."
    )


def _back_to_form() -> str | None:
    """Return the page of the form a too-large POST came from, on this site only."""
    if request.method != "POST":
        return None
    path = request.path
    return path.removesuffix("/completare") if path.endswith("/completare") else path


def page(
    status: int, message: str | None = None, title: str | None = None, back: str | None = None
) -> Any:
    """Render the error page for a status, with a specific sentence when there is one."""
    default_title, default_message = PAGES.get(status, PAGES[500])
    try:
        html = render_template(
            "errors/error.html",
            status=status,
            title=title or default_title,
            message=message or default_message,
            back_url=back,
        )
    except Exception:  # the page itself failed (e.g. the database is down): plain text
        log.exception("error page could not be rendered")
        html = (
            f'<!doctype html><html lang="ro"><title>{default_title}</title>'
            f"<h1>{default_title}</h1><p>{default_message}</p></html>"
        )
    return html, status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        if _is_api():
            return jsonify({"error": "csrf", "message": CSRF_MESSAGE}), 400
        return page(400, CSRF_MESSAGE, title="Formularul a expirat")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        message = PAGES.get(status, (None, exc.description))[1]
        if status == 413:
            message += _limit_text()
        if _is_api():
            return jsonify({"error": _code(exc), "message": message}), status
        return page(status, message, back=_back_to_form() if status == 413 else None)

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError) -> Any:
        original = getattr(exc, "original_exception", None)
        if original is not None:
            log.error("unhandled error on %s", request.path, exc_info=original)
        if _is_api():
            return jsonify({"error": "internal", "message": PAGES[500][1]}), 500
        return page(500)

    @app.errorhandler(CircuitError)
    def _circuit(exc: CircuitError) -> Any:
        db.rollback()  # a failed step's writes and locks go now, not after the answer
        throttle.attempt_failed(exc)
        if _is_api():
            return jsonify(exc.as_dict()), exc.status
        if isinstance(exc, Unauthorized):
            flash(exc.message, "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return page(exc.status, exc.message)
