"""How the city hall keeps its terms: per department and procedure, what is open, at risk and
overdue, what was answered on time or late (by month), how long answers take, the load of each
official, and the answer date a citizen can expect. Figures are aggregated in the database
(SQLite and PostgreSQL alike); workflows are never loaded."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, extract, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from engine.cases import queries
from engine.circuit import Circuit, registry_department
from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import (
    Department,
    RegistryEntry,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    User,
)
from engine.platform import wording
from engine.platform.errors import BadRequest, Forbidden
from engine.platform.timeutil import local_today
from engine.register.book import spreadsheet_safe
from engine.workflow.spifftasks import APPLICANT_LANE, UNASSIGNED

AT_RISK_DAYS = 5  # fewer days left than this: at risk (as the inboxes mark tasks)
ANSWERED = (RequestStatus.COMPLETED, RequestStatus.REJECTED)
PREDICTION_WINDOW_DAYS = 90
PREDICTION_MIN_ANSWERS = 10
MAX_PERIOD_DAYS = 366 * 5


class _DaysBetween(FunctionElement[int]):
    """The number of calendar days from the second date to the first (a date difference)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(_DaysBetween)
def _days_between_default(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(_DaysBetween, "sqlite")
def _days_between_sqlite(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


def days_between(later: Any, earlier: Any) -> ColumnElement[int]:
    return _DaysBetween(later, earlier)


def _working_department() -> ColumnElement[str]:
    """The department a request was given to: its first step outside the registry and the
    applicant (as the register's "department" column says); the registry while it is there."""
    outside = (registry_department(), APPLICANT_LANE, UNASSIGNED)
    first = (
        select(TaskRecord.department)
        .where(TaskRecord.request_id == Request.id, TaskRecord.department.not_in(outside))
        .order_by(TaskRecord.created_at, TaskRecord.id)
        .limit(1)
        .correlate(Request)
        .scalar_subquery()
    )
    return func.coalesce(first, registry_department())


# Who may see the figures


def may_see(user: User) -> bool:
    """Tell whether this person may see the dashboards: heads, supervisors, administrators."""
    return bool(user.is_admin or queries.SUPERVISORS & set(user.departments) or user.head_of)


def visible_departments(user: User) -> list[str] | None:
    """Return the departments whose figures this person sees; None for every department
    (the secretary general, the mayor, administrators). Anyone else is refused."""
    if user.is_admin or queries.SUPERVISORS & set(user.departments):
        return None
    if user.head_of:
        return list(user.head_of)
    raise Forbidden(
        "Statisticile sunt pentru șefii de compartiment, secretarul general, primar "
        "și administratori."
    )


# The question


@dataclass(frozen=True)
class StatsQuery:
    """What a dashboard asks for: a period of answers and, optionally, one department."""

    start: date
    end: date
    department: str | None = None
    today: date = field(default_factory=local_today)


def _parse_day(raw: str | None, which: str) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(
            f"Data {which} a perioadei trebuie să fie de forma AAAA-LL-ZZ, de exemplu 2026-01-31.",
            code="bad_date",
        ) from None


def default_start(today: date) -> date:
    """Return the first day of the month eleven months back: a year of months with today's."""
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def parse_query(
    session: Session,
    user: User,
    raw_from: str | None,
    raw_to: str | None,
    raw_department: str | None,
    *,
    today: date | None = None,
) -> StatsQuery:
    """Check a dashboard's filters (Romanian messages) and the person's right to them."""
    today = today or local_today()
    scope = visible_departments(user)
    end = _parse_day(raw_to, "de sfârșit") or today
    start = _parse_day(raw_from, "de început") or default_start(end)
    if end < start:
        raise BadRequest("Perioada cerută se termină înainte să înceapă.", code="bad_period")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise BadRequest("Alegeți o perioadă de cel mult cinci ani.", code="bad_period")
    code = (raw_department or "").strip() or None
    if code is not None:
        if session.get(Department, code) is None:
            raise BadRequest(f"Compartimentul „{code}” nu există.", code="bad_department")
        if scope is not None and code not in scope:
            raise Forbidden("Vedeți doar statisticile compartimentelor pe care le conduceți.")
    return StatsQuery(start, end, code, today)


# The figures


@dataclass
class Row:
    """The figures of one department's procedure."""

    department: str
    procedure: str
    open: int = 0
    overdue: int = 0
    at_risk: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    median_days: float | None = None
    p90_days: int | None = None

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    def add(self, other: Row) -> None:
        """Add another row's counts to this one (durations do not add up)."""
        self.open += other.open
        self.overdue += other.overdue
        self.at_risk += other.at_risk
        self.answered_on_time += other.answered_on_time
        self.answered_late += other.answered_late


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    department: str
    procedure: str
    on_time: int
    late: int


@dataclass(frozen=True)
class LoadRow:
    user_id: int
    name: str
    department: str
    open_tasks: int
    overdue_tasks: int


@dataclass
class Stats:
    """The dashboard: rows per department and procedure, months, load, and the question."""

    query: StatsQuery
    departments: list[str]  # those the person may choose among, by code
    rows: list[Row]
    months: list[MonthRow]
    load: list[LoadRow]

    def totals(self) -> Row:
        total = Row("", "")
        for r in self.rows:
            total.add(r)
        return total

    def by_department(self) -> list[Row]:
        """Return the rows summed per department (open, overdue, at risk, answered)."""
        out: dict[str, Row] = {}
        for r in self.rows:
            out.setdefault(r.department, Row(r.department, "")).add(r)
        return list(out.values())

    def month_totals(self) -> list[tuple[str, int, int]]:
        """Return (month, on time, late) for every month of the period, empty ones too."""
        sums: dict[str, list[int]] = {
            m: [0, 0] for m in months_of(self.query.start, self.query.end)
        }
        for m in self.months:
            slot = sums.setdefault(m.month, [0, 0])
            slot[0] += m.on_time
            slot[1] += m.late
        return [(m, v[0], v[1]) for m, v in sorted(sums.items())]


def months_of(start: date, end: date) -> list[str]:
    """Return the months (YYYY-MM) a period touches, in order."""
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _requests() -> Any:
    """Requests that count (a joined petition shares its first's answer), with their
    department and the date their answer was registered."""
    dept = _working_department().label("department")
    return (
        select(
            Request.id,
            Request.procedure,
            Request.status,
            Request.due_date,
            Request.registration_date,
            RegistryEntry.registered_on.label("answered_on"),
            dept,
        )
        .outerjoin(RegistryEntry, RegistryEntry.id == Request.answer_entry_id)
        .where(Request.joined_to_id.is_(None))
    )


def _in_scope(column: Any, scope: Sequence[str] | None) -> Any:
    return column.in_(list(scope)) if scope is not None else True


def _open_rows(session: Session, scope: Sequence[str] | None, today: date) -> list[Any]:
    sub = _requests().where(Request.status.in_(RequestStatus.open())).subquery()
    overdue = func.sum(case((sub.c.due_date < today, 1), else_=0))
    soon = today + timedelta(days=AT_RISK_DAYS)
    at_risk = func.sum(case((and_(sub.c.due_date >= today, sub.c.due_date < soon), 1), else_=0))
    return list(
        session.execute(
            select(sub.c.department, sub.c.procedure, func.count(), overdue, at_risk)
            .where(_in_scope(sub.c.department, scope))
            .group_by(sub.c.department, sub.c.procedure)
        )
    )


def _answered_between(start: date, end: date) -> Any:
    """The condition of a request answered between these days (its answer's registration).

    The answer is registered in the same transaction that closes the request, so `closed_at`
    (indexed, UTC) bounds the search first, with a day's slack each side for the time zone;
    only then is each request's department looked up."""
    slack = timedelta(days=2)
    return and_(
        Request.status.in_(ANSWERED),
        Request.closed_at >= datetime.combine(start - slack, time(), tzinfo=UTC),
        Request.closed_at < datetime.combine(end + slack, time(), tzinfo=UTC),
        RegistryEntry.registered_on >= start,
        RegistryEntry.registered_on <= end,
    )


def _answered(scope: Sequence[str] | None, start: date, end: date) -> Any:
    return _requests().where(_answered_between(start, end)).subquery()


@dataclass
class _Answers:
    """The answers of one department's procedure as a histogram of days to answer."""

    days: dict[int, int] = field(default_factory=dict)  # days to answer: how many
    on_time: int = 0

    @property
    def count(self) -> int:
        return sum(self.days.values())

    def at_rank(self, rank: int) -> int:
        """Return the rank-th smallest number of days (1-based)."""
        seen = 0
        for days in sorted(self.days):
            seen += self.days[days]
            if seen >= rank:
                return days
        raise ValueError(rank)

    def median(self) -> float:
        """The middle value; of an even count, the mean of the two middle ones."""
        n = self.count
        return (self.at_rank((n + 1) // 2) + self.at_rank((n + 2) // 2)) / 2

    def p90(self) -> int:
        """The 90th percentile, nearest rank: the ceil(0.9 n)-th value."""
        return self.at_rank((9 * self.count + 9) // 10)


def _answered_histogram(
    session: Session, scope: Sequence[str] | None, start: date, end: date
) -> tuple[dict[tuple[str, str], _Answers], list[MonthRow]]:
    """Count the period's answers by department, procedure, month, days to answer and
    whether on time, in one grouped query (each request's department is looked up once);
    the percentiles and the months are read from those counts."""
    sub = _answered(scope, start, end)
    year = extract("year", sub.c.answered_on)
    month = extract("month", sub.c.answered_on)
    days = days_between(sub.c.answered_on, sub.c.registration_date)
    on_time = case((sub.c.answered_on <= sub.c.due_date, 1), else_=0)
    keys = (sub.c.department, sub.c.procedure, year, month, days, on_time)
    found = session.execute(
        select(*keys, func.count()).where(_in_scope(sub.c.department, scope)).group_by(*keys)
    )
    answers: dict[tuple[str, str], _Answers] = {}
    months: dict[tuple[str, str, str], list[int]] = {}
    for dept, proc, y, m, d, ok, n in found:
        a = answers.setdefault((dept, proc), _Answers())
        a.days[int(d)] = a.days.get(int(d), 0) + int(n)
        a.on_time += int(n) if ok else 0
        slot = months.setdefault((f"{int(y):04d}-{int(m):02d}", dept, proc), [0, 0])
        slot[0 if ok else 1] += int(n)
    month_rows = [MonthRow(k[0], k[1], k[2], v[0], v[1]) for k, v in sorted(months.items())]
    return answers, month_rows


def _load_rows(session: Session, scope: Sequence[str] | None, today: date) -> list[LoadRow]:
    late = func.sum(case((TaskRecord.due_date < today, 1), else_=0))
    query = (
        select(User.id, User.name, TaskRecord.department, func.count(), late)
        .join(User, User.id == TaskRecord.claimed_by_id)
        .where(TaskRecord.state == TaskState.READY, _in_scope(TaskRecord.department, scope))
        .group_by(User.id, User.name, TaskRecord.department)
    )
    rows = [
        LoadRow(uid, name, d, int(n), int(o or 0)) for uid, name, d, n, o in session.execute(query)
    ]
    return sorted(rows, key=lambda r: (r.department, -r.open_tasks, r.name))


def dashboard(session: Session, user: User, query: StatsQuery) -> Stats:
    """Return the figures this person may see for the period (and department) asked."""
    scope = visible_departments(user)
    if query.department is not None:
        if scope is not None and query.department not in scope:
            raise Forbidden("Vedeți doar statisticile compartimentelor pe care le conduceți.")
        scope = [query.department]
    rows: dict[tuple[str, str], Row] = {}

    def row(dept: str, proc: str) -> Row:
        return rows.setdefault((dept, proc), Row(dept, proc))

    for dept, proc, n, overdue, at_risk in _open_rows(session, scope, query.today):
        r = row(dept, proc)
        r.open, r.overdue, r.at_risk = int(n), int(overdue or 0), int(at_risk or 0)
    answers, months = _answered_histogram(session, scope, query.start, query.end)
    for (dept, proc), a in answers.items():
        r = row(dept, proc)
        r.answered_on_time, r.answered_late = a.on_time, a.count - a.on_time
        r.median_days, r.p90_days = a.median(), a.p90()
    choices = visible_departments(user)
    if choices is None:
        choices = [code for (code,) in session.execute(select(Department.code))]
    return Stats(
        query=query,
        departments=sorted(choices),
        rows=sorted(rows.values(), key=lambda r: (r.department, r.procedure)),
        months=months,
        load=_load_rows(session, scope, query.today),
    )


# Export

CSV_COLUMNS = [
    "Compartiment",
    "Procedură",
    "Deschise",
    "Termen depășit",
    "În pericol (sub 5 zile)",
    "Răspunse la termen",
    "Răspunse după termen",
    "Mediana zilelor până la răspuns",
    "Percentila 90 a zilelor până la răspuns",
]


def _number(value: float | None) -> str | int | float:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(float(value), 1)


def to_csv(stats: Stats, department_names: dict[str, str], titles: dict[str, str]) -> bytes:
    """Export the rows as CSV: UTF-8 with BOM (spreadsheets read the diacritics), `;`
    between columns, text cells that would start a formula neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(CSV_COLUMNS)
    for r in stats.rows:
        writer.writerow(
            [
                spreadsheet_safe(department_names.get(r.department, r.department)),
                spreadsheet_safe(titles.get(r.procedure, r.procedure)),
                r.open,
                r.overdue,
                r.at_risk,
                r.answered_on_time,
                r.answered_late,
                _number(r.median_days),
                _number(r.p90_days),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# The answer date a citizen can expect


@dataclass(frozen=True)
class Prediction:
    """How long requests like this one took to be answered lately, in working days."""

    median_working_days: float
    p90_working_days: int
    based_on: int

    @property
    def typical_days(self) -> int:
        """The median rounded up: a citizen is not promised less than most got."""
        return math.ceil(self.median_working_days)

    def sentence(self, for_applicant: bool) -> str:
        """Say it in Romanian, with how many answers it rests on."""
        whose = "ca a dumneavoastră" if for_applicant else "ca aceasta"
        days = wording.count(self.typical_days, "zi lucrătoare", "zile lucrătoare")
        most = wording.count(self.p90_working_days, "zi lucrătoare", "zile lucrătoare")
        answers = wording.count(self.based_on, "răspuns", "răspunsuri")
        return (
            f"De obicei, cererile {whose} primesc răspuns în {days}; 9 din 10 îl primesc în "
            f"cel mult {most}. Estimarea se bazează pe {answers} date în ultimele 90 de zile "
            f"de același compartiment, la aceeași procedură; termenul legal rămâne cel de mai sus."
        )

    def as_api(self) -> dict[str, Any]:
        median = self.median_working_days
        return {
            "median_working_days": int(median) if median.is_integer() else median,
            "p90_working_days": self.p90_working_days,
            "based_on": self.based_on,
        }


def working_days_between(calendar: LegalCalendar, pairs: Iterable[tuple[date, date]]) -> list[int]:
    """Return, for each (start, end), the working days after `start` up to `end` inclusive."""
    pairs = list(pairs)
    if not pairs:
        return []
    first = min(s for s, _ in pairs)
    last = max(e for _, e in pairs)
    cumulative: dict[date, int] = {}
    count, day = 0, first
    while day <= last:
        if day != first and calendar.is_working_day(day):
            count += 1
        cumulative[day] = count
        day += timedelta(days=1)
    return [max(0, cumulative[e] - cumulative[s]) if e >= s else 0 for s, e in pairs]


def nearest_rank(values: Sequence[int], share: float) -> int:
    """Return the value at this share of the sorted values (nearest-rank percentile)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def request_department(session: Session, request_id: int) -> str:
    """Return the department a request was given to (the registry while it is there)."""
    return session.scalar(select(_working_department()).where(Request.id == request_id)) or (
        registry_department()
    )


def prediction(
    session: Session, calendar: LegalCalendar, request: Request, today: date | None = None
) -> Prediction | None:
    """Predict from the same department's and procedure's answers of the last 90 days how
    many working days requests like this one take; None with fewer than 10 of them."""
    today = today or local_today()
    dept = request_department(session, request.id)
    sub = (
        _requests()
        .where(
            Request.procedure == request.procedure,
            Request.id != request.id,
            _answered_between(today - timedelta(days=PREDICTION_WINDOW_DAYS - 1), today),
        )
        .subquery()
    )
    pairs = [
        (reg, answered)
        for reg, answered in session.execute(
            select(sub.c.registration_date, sub.c.answered_on).where(sub.c.department == dept)
        )
    ]
    if len(pairs) < PREDICTION_MIN_ANSWERS:
        return None
    days = working_days_between(calendar, pairs)
    return Prediction(float(statistics.median(days)), nearest_rank(days, 0.9), len(days))


# What a view shows


@dataclass(frozen=True)
class Report:
    """The figures with the names a person reads: departments' and procedures'."""

    stats: Stats
    department_names: dict[str, str]
    titles: dict[str, str]

    def department_name(self, code: str) -> str:
        return self.department_names.get(code, code)

    def title(self, procedure: str) -> str:
        return self.titles.get(procedure, procedure)

    def csv(self) -> bytes:
        return to_csv(self.stats, self.department_names, self.titles)


def report(
    session: Session,
    circuit: Circuit,
    user: User,
    raw_from: str | None,
    raw_to: str | None,
    raw_department: str | None,
) -> Report:
    """Check the filters and the person's right, and return the figures with their names."""
    query = parse_query(session, user, raw_from, raw_to, raw_department)
    titles = {p.id: p.title for p in circuit.procedures(session).all()}
    return Report(dashboard(session, user, query), queries.department_names(session), titles)
