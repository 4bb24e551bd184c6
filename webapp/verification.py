"""The public page where anyone checks a document the city hall issued: by its code (the QR
code printed on it leads here), and by uploading the file to compare it byte for byte."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from engine.cases import issued
from engine.platform.errors import NotFound
from webapp import db, throttle
from webapp.errors import page as error_page

bp = Blueprint("verification", __name__)


@bp.get("/verificare")
def lookup() -> Any:
    raw = request.args.get("cod", "").strip()
    if not raw:
        return render_template("verification/lookup.html")
    code = issued.normalise_code(raw)
    if code is None:
        message = "Codul de verificare are 10 caractere (cifre și litere), ca pe document."
        return render_template("verification/lookup.html", error=message, code=raw), 400
    return redirect(url_for("verification.show", code=code))


def _refused() -> Any:
    slot = throttle.verification()
    if not slot.allowed:
        return error_page(429, throttle.verification_refused_message(slot))
    return None


@bp.route("/verificare/<code>", methods=["GET", "POST"])
def show(code: str) -> Any:
    if refused := _refused():
        return refused
    session, circuit = db.session(), db.circuit()
    try:
        found = issued.verification(session, circuit, code)
    except NotFound as exc:
        return error_page(
            404, exc.message, title="Document negăsit", back=url_for("verification.lookup")
        )
    result, error = None, None
    if request.method == "POST":
        upload = request.files.get("fisier")
        content = upload.read() if upload is not None else b""
        if not content:
            error = "Alegeți fișierul PDF pe care l-ați primit."
        else:
            result = issued.compare(session, circuit, code, content)
    return render_template("verification/show.html", doc=found, result=result, error=error), (
        422 if error else 200
    )
