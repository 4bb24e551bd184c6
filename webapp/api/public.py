"""What anyone may ask without signing in: the catalog, departments, deadlines, this API's
description."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from engine.cases import operations, procedure_page, queries
from engine.deadlines.legal_calendar import DeadlineKind
from engine.people import organisation
from engine.platform.errors import BadRequest, NotFound
from engine.workflow import catalog_search
from engine.workflow.catalog import AUDIENCES
from webapp import db

bp = Blueprint("public", __name__)

FIRST_YEAR, LAST_YEAR = 1990, 2100  # the legal calendar's holidays are known for these


@lru_cache(maxsize=1)
def openapi_json() -> str:
    """Return the OpenAPI document (openapi.yaml beside this module) as JSON, read once."""
    text = resources.files("webapp.api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return json.dumps(yaml.safe_load(text), ensure_ascii=False)


@bp.get("/openapi.json")
def openapi() -> Any:
    return Response(openapi_json(), mimetype="application/json")


@bp.get("/procedures")
def procedures() -> Any:
    circuit, session = db.circuit(), db.session()
    catalog = circuit.procedures(session)
    unstaffed = organisation.unstaffed_by_procedure(session, circuit)
    audience = request.args.get("audience", "")
    if audience and audience not in AUDIENCES:
        raise BadRequest(f"Parametrul audience trebuie să fie unul dintre: {', '.join(AUDIENCES)}.")
    everything = catalog.all()
    category = request.args.get("category", "")
    found = catalog_search.search(
        everything,
        request.args.get("q", ""),
        catalog_search.category_of(category, everything) or category,
        audience,
    )
    settings = circuit.settings
    return {
        "procedures": [
            {
                "id": proc.id,
                "title": proc.title,
                "description": proc.description,
                "category": proc.category or None,
                "audience": list(proc.audience),
                "legal_basis": proc.legal_basis,
                "deadline": {"days": proc.deadline_days, "kind": proc.deadline_kind.value},
                "decided_by": proc.decided_by or None,
                "fee": procedure_page.fee_api(
                    proc.fee,
                    procedure_page.payment_for(
                        proc.fee, settings.city_hall, settings.city_hall_name
                    ),
                ),
                "start_form": operations.form_schema(
                    session, circuit, proc.start_form, catalog.version_of(proc.id)
                ),
                "attachments": [a.as_api() for a in proc.attachments],
                **_availability(session, unstaffed.get(proc.id)),
            }
            for proc in found
        ],
        "categories": catalog_search.categories(everything),
    }


@bp.get("/procedures/<procedure_id>")
def procedure(procedure_id: str) -> Any:
    page = procedure_page.public_page(db.session(), db.circuit(), procedure_id)
    if page is None:
        raise NotFound("Procedura nu există în catalog.")
    return page.as_api()


def _availability(session: Session, empty: list[str] | None) -> dict[str, Any]:
    """Say whether citizens may submit the procedure: every department it names has people."""
    reason = organisation.unavailable_reason(session, empty) if empty else None
    return {"available": not empty, "unavailable_reason": reason}


@bp.get("/departments")
def departments() -> Any:
    return {
        "departments": [{"code": d.code, "name": d.name} for d in queries.departments(db.session())]
    }


def _start_arg() -> date:
    try:
        start = date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        raise BadRequest("Parametrul start trebuie să fie o dată AAAA-LL-ZZ.") from None
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise BadRequest(
            f"Parametrul start trebuie să fie o dată între anii {FIRST_YEAR} și {LAST_YEAR}."
        )
    return start


def _days_arg() -> int:
    try:
        days = int(request.args.get("days", ""))
    except ValueError:
        raise BadRequest("Parametrul days trebuie să fie un număr întreg.") from None
    if days < 1 or days > 3650:
        raise BadRequest("Parametrul days trebuie să fie între 1 și 3650.")
    return days


@bp.get("/calendar/deadline")
def deadline() -> Any:
    start = _start_arg()
    days = _days_arg()
    kind = request.args.get("kind", "calendar")
    if kind not in {k.value for k in DeadlineKind}:
        raise BadRequest("Parametrul kind trebuie să fie „calendar” sau „working”.")
    due = db.circuit().calendar(db.session()).deadline(start, days, kind)
    return {"due_date": due.isoformat()}
