"""Issued documents: checking one by its verification code (anyone, no login), and the files
an official attaches to an answer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from engine.cases import annexes, issued
from engine.platform.errors import BadRequest
from webapp import db, throttle
from webapp.api.common import authenticated, official, throttled, uploads

bp = Blueprint("issued", __name__)


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


@bp.post("/tasks/<task_id>/annexes")
@authenticated
def attach_annexes(task_id: str) -> Any:
    """Attach files (multipart `files`) to the answer of the task's request."""
    added = annexes.attach(db.session(), db.circuit(), official(), task_id, uploads("files"))
    db.commit()
    return {
        "annexes": [
            {
                "id": a.document.id,
                "name": a.document.name,
                "registration": a.entry.display,
                "sha256": a.document.sha256,
                "size": a.document.size,
            }
            for a in added
        ]
    }, 201
