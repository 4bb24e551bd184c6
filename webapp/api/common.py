"""What every part of the API shares: who is calling, JSON bodies, pages, errors as JSON."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.cases import documents
from engine.models import User
from engine.platform.errors import CircuitError, Forbidden, Invalid, Unauthorized
from webapp import db, inputs, throttle
from webapp.auth import bearer_user

HTTP_MESSAGES = {
    404: "Resursa cerută nu există.",
    405: "Metoda HTTP nu este permisă pentru această adresă.",
    413: "Fișierele trimise depășesc dimensiunea maximă permisă.",
}
NOT_JSON = "Câmpul „data” nu este JSON valid."


def error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    """Answer the API's error shape: {"error", "message", ...}."""
    return jsonify({"error": code, "message": message, **extra}), status


def throttled(slot: throttle.Slot, code: str, message: str) -> tuple[Response, int]:
    """Answer 429 with the error and how long to wait (Retry-After)."""
    response, status = error(429, code, message)
    response.headers["Retry-After"] = str(slot.retry_after)
    return response, status


def install_error_handlers(bp: Blueprint) -> None:
    """Answer the engine's errors and HTTP errors raised in the API's views as JSON."""

    @bp.errorhandler(CircuitError)
    def _circuit_error(exc: CircuitError) -> tuple[Response, int]:
        db.rollback()  # a failed step's writes and locks go now, not after the answer
        throttle.attempt_failed(exc)
        return jsonify(exc.as_dict()), exc.status

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        return error(
            code, exc.name.lower().replace(" ", "_"), HTTP_MESSAGES.get(code, exc.description or "")
        )


def authenticated(view: Callable[..., Any]) -> Callable[..., Any]:
    """Require a valid bearer token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if bearer_user() is None:
            raise Unauthorized("Autentificați-vă: lipsește un token valid sau a expirat.")
        return view(*args, **kwargs)

    return wrapper


def me() -> User:
    """Return the user of the bearer token (views behind @authenticated only)."""
    return g.api_user  # type: ignore[no-any-return]


def official() -> User:
    """Return the caller when they are an official, else refuse with 403."""
    user = me()
    if not user.is_official:
        raise Forbidden("Doar funcționarii au sarcini.")
    return user


def json_body() -> dict[str, Any]:
    """Parse the JSON body, refusing malformed, too deep or unstorable JSON with a clear 400."""
    return inputs.json_object(request.get_data(cache=True))


def is_multipart() -> bool:
    return request.mimetype == "multipart/form-data"


def form_data(field: str = "data") -> Any:
    """Parse a multipart field holding JSON; a bad one is a 422 on /data."""
    try:
        return inputs.load_json(request.form.get(field) or "{}")
    except inputs.RefusedJSON as exc:
        raise Invalid([{"field": f"/{field}", "message": str(exc)}]) from None
    except ValueError:
        raise Invalid([{"field": f"/{field}", "message": NOT_JSON}]) from None


def uploads(only: str | None = None) -> list[documents.Upload]:
    """Read the uploaded files, each under its field name (or only those under `only`)."""
    files = (
        [(only, f) for f in request.files.getlist(only)]
        if only
        else list(request.files.items(multi=True))
    )
    return [documents.Upload(name, f.filename or "document", f.read()) for name, f in files]


def page_args(max_per_page: int = 100, default_per_page: int = 20) -> tuple[int, int]:
    """Read ?page= and ?per_page= (1…100,000, else 400 bad_page; per_page above the most, the
    most)."""
    page = inputs.page_number(request.args.get("page"))
    return page, inputs.page_size(request.args.get("per_page"), default_per_page, max_per_page)
