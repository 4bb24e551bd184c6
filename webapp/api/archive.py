"""The digital archive in the API: search, a document's metadata, its file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, send_file, url_for

from engine.archive import search, store
from engine.models import ArchiveDocument
from engine.people import mydata
from engine.platform.errors import BadRequest
from webapp import db
from webapp.api.common import authenticated, me

bp = Blueprint("archive", __name__)


def _int_arg(name: str, low: int = 1, high: int = 100_000) -> int | None:
    raw = request.args.get(name)
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        code = "bad_page" if name == "page" else "bad_request"
        raise BadRequest(
            f"Parametrul {name} trebuie să fie un număr între {low} și {high}.", code=code
        )
    return int(raw)


def _text_arg(name: str, limit: int) -> str | None:
    raw = request.args.get(name) or None
    if raw is not None and len(raw) > limit:
        raise BadRequest(
            f"Parametrul {name} are cel mult {limit} de caractere.", code="bad_request"
        )
    return raw


def query_from_args() -> search.Query:
    """Read the search's parameters (q, year, type, file_code, department, page)."""
    return search.Query(
        q=_text_arg("q", 500) or "",
        year=_int_arg("year", 1800, 2200),
        doc_type=_text_arg("type", 100),
        file_code=_text_arg("file_code", 64),
        department=_text_arg("department", 64),
        page=_int_arg("page") or 1,
    )


@bp.get("/archive/search")
@authenticated
def archive_search() -> Any:
    found = search.search(db.session(), me(), query_from_args())
    return {
        "results": [
            {
                "id": h.doc.id,
                "title": h.doc.title,
                "date": h.doc.doc_date.isoformat() if h.doc.doc_date else None,
                "registration": h.doc.registration,
                "type": h.doc.doc_type,
                "file_code": h.doc.file_code,
                "snippet": h.snippet.text,
                "score": round(h.score, 6),
            }
            for h in found.hits
        ],
        "total": found.total,
        "more": found.capped,
        "page": query_from_args().page,
        "per_page": search.PER_PAGE,
    }


def document_json(doc: ArchiveDocument) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "date": doc.doc_date.isoformat() if doc.doc_date else None,
        "registration": doc.registration,
        "issuer": doc.issuer,
        "type": doc.doc_type,
        "file_code": doc.file_code,
        "source": doc.source,
        "personal_data": doc.personal_data,
        "name": doc.original_name,
        "mime": doc.mime,
        "size": doc.size,
        "sha256": doc.sha256,
        "ocr_status": doc.ocr_status,
        "request_id": doc.request_id,
        "text": doc.text,
        "download_url": url_for("api.archive.archive_file", archive_id=doc.id),
    }


@bp.get("/archive/documents/<int:archive_id>")
@authenticated
def archive_document(archive_id: int) -> Any:
    doc = search.open_document(db.session(), me(), archive_id)
    body = document_json(doc)
    db.commit()  # the access log of an opening that holds personal data
    return body


@bp.get("/archive/documents/<int:archive_id>/file")
@authenticated
def archive_file(archive_id: int) -> Any:
    doc = search.open_document(db.session(), me(), archive_id, mydata.DOWNLOADED)
    path = store.file_of(db.circuit().settings, doc)
    mime, name = doc.mime, doc.original_name
    db.commit()
    return send_file(path, mimetype=mime, as_attachment=True, download_name=name)
