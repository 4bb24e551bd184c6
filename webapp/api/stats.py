"""The dashboards' figures in the API: per department and procedure, as JSON or CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from engine.cases import stats
from engine.platform.errors import BadRequest
from webapp import db
from webapp.api.common import authenticated, me

bp = Blueprint("stats", __name__)


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 1)


def _row(report: stats.Report, r: stats.Row) -> dict[str, Any]:
    return {
        "department": r.department,
        "department_name": report.department_name(r.department),
        "procedure": r.procedure,
        "procedure_title": report.title(r.procedure),
        "open": r.open,
        "overdue": r.overdue,
        "at_risk": r.at_risk,
        "answered_on_time": r.answered_on_time,
        "answered_late": r.answered_late,
        "median_days": _number(r.median_days),
        "p90_days": r.p90_days,
    }


@bp.get("/stats")
@authenticated
def stats_view() -> Any:
    args = request.args
    report = stats.report(
        db.session(), db.circuit(), me(), args.get("from"), args.get("to"), args.get("department")
    )
    fmt = args.get("format", "json")
    q = report.stats.query
    if fmt == "csv":
        name = f"statistici-{q.start:%Y%m%d}-{q.end:%Y%m%d}.csv"
        return Response(
            report.csv(),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if fmt != "json":
        raise BadRequest("Parametrul format trebuie să fie „json” sau „csv”.")
    s = report.stats
    return {
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "as_of": q.today.isoformat(),
        "department": q.department,
        "departments": [{"code": c, "name": report.department_name(c)} for c in s.departments],
        "stats": [_row(report, r) for r in s.rows],
        "by_month": [
            {
                "month": m.month,
                "department": m.department,
                "procedure": m.procedure,
                "on_time": m.on_time,
                "late": m.late,
            }
            for m in s.months
        ],
        "load": [
            {
                "user_id": r.user_id,
                "name": r.name,
                "department": r.department,
                "open_tasks": r.open_tasks,
                "overdue_tasks": r.overdue_tasks,
            }
            for r in s.load
        ],
    }
