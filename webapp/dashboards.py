"""Dashboards for heads of department, the secretary general and the mayor: how the city hall
keeps its legal terms, as charts with their tables beside them, and as CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from engine.cases import stats
from webapp import charts, db
from webapp.auth import current
from webapp.extensions import login_manager

bp = Blueprint("dashboards", __name__, url_prefix="/birou/statistici")

ON_TIME = charts.Series("la termen", "chart-ok")
LATE = charts.Series("după termen", "chart-late")
OVERDUE = charts.Series("cu termenul depășit", "chart-late")
AT_RISK = charts.Series("în pericol", "chart-risk")
ON_TRACK = charts.Series("în termen", "chart-open")


@bp.before_request
def _signed_in() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    user = current_user.user if current_user.is_authenticated else None
    return {"sees_stats": user is not None and stats.may_see(user)}


@bp.app_template_filter("ro_number")
def ro_number(value: float | None) -> str:
    """Write a number the Romanian way: 4,5; a whole number without decimals; — for none."""
    if value is None:
        return "—"
    value = round(float(value), 1)
    return str(int(value)) if value.is_integer() else f"{value:.1f}".replace(".", ",")


def _report() -> stats.Report:
    args = request.args
    return stats.report(
        db.session(),
        db.circuit(),
        current(),
        args.get("de_la"),
        args.get("pana_la"),
        args.get("compartiment"),
    )


def _charts(report: stats.Report) -> dict[str, charts.Chart]:
    s = report.stats
    months = s.month_totals()
    depts = sorted(s.by_department(), key=lambda r: (-r.open, report.department_name(r.department)))
    depts = [r for r in depts if r.open]
    return {
        "months": charts.stacked_columns(
            "grafic-luni",
            "Răspunsuri pe luni: la termen și după termen",
            "Câte cereri au primit răspuns în fiecare lună a perioadei, la termen (verde) și "
            "după termen (roșu). Cifrele sunt în tabelul de alături.",
            [charts.month_label(m) for m, _, _ in months],
            [(ok, late) for _, ok, late in months],
            [ON_TIME, LATE],
        ),
        "open": charts.stacked_bars(
            "grafic-deschise",
            "Cereri deschise pe compartimente",
            "Pentru fiecare compartiment, cererile deschise acum: cu termenul depășit (roșu), "
            "în pericol, cu mai puțin de 5 zile până la termen (galben), și în termen (albastru).",
            [report.department_name(r.department) for r in depts],
            [(r.overdue, r.at_risk, r.open - r.overdue - r.at_risk) for r in depts],
            [OVERDUE, AT_RISK, ON_TRACK],
        ),
        "load": charts.stacked_bars(
            "grafic-sarcini",
            "Sarcini deschise pe funcționari",
            "Câte sarcini deschise ține fiecare funcționar, dintre care cu termenul depășit "
            "(roșu).",
            [f"{r.name} ({report.department_name(r.department)})" for r in s.load],
            [(r.overdue_tasks, r.open_tasks - r.overdue_tasks) for r in s.load],
            [OVERDUE, ON_TRACK],
        ),
    }


@bp.route("/")
def index() -> Any:
    report = _report()
    q = report.stats.query
    filters = {
        "de_la": q.start.isoformat(),
        "pana_la": q.end.isoformat(),
        "compartiment": q.department or "",
    }
    return render_template(
        "dashboards/index.html",
        report=report,
        s=report.stats,
        totals=report.stats.totals(),
        months=report.stats.month_totals(),
        charts=_charts(report),
        filters=filters,
        month_label=charts.month_label,
    )


@bp.route("/export.csv")
def export() -> Any:
    report = _report()
    q = report.stats.query
    name = f"statistici-{q.start:%Y%m%d}-{q.end:%Y%m%d}.csv"
    return Response(
        report.csv(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
