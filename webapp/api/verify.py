"""Checking a document the city hall issued, by its verification code: anyone, no login."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from engine.cases import issued
from engine.platform.errors import BadRequest
from webapp import db, throttle
from webapp.api.common import throttled

bp = Blueprint("verify", __name__)


def _slot() -> Any:
    slot = throttle.verification()
    if not slot.allowed:
        return throttled(slot, "too_many_requests", throttle.verification_refused_message(slot))
    return None


@bp.get("/verify/<code>")
def verify(code: str) -> Any:
    if refused := _slot():
        return refused
    return issued.verification(db.session(), db.circuit(), code)


@bp.post("/verify/<code>")
def compare(code: str) -> Any:
    if refused := _slot():
        return refused
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Trimiteți fișierul de verificat în câmpul „file”.")
    return issued.compare(db.session(), db.circuit(), code, upload.read())
