"""Measure the dashboards' queries and the predicted answer date on a populated database.

    python -m scripts.bench_stats --database-url URL [--requests 100000] [--runs 20]

The database the URL names is EMPTIED (its schema dropped and migrated afresh): point it at a
database kept for benchmarks. With no URL, a temporary SQLite file. Requests over two years in
8 departments and 5 procedures, 85% answered after 1 to 40 days, the rest open with tasks held
by 24 officials; then the secretary's whole-city dashboard, a head's, and the prediction on a
request page are timed (p50, p95, max in milliseconds).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from engine.cases import stats
from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import (
    Department,
    Instance,
    Membership,
    ProcessVersion,
    RegistryEntry,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    User,
)
from engine.platform.db import Database
from engine.platform.migrate import upgrade
from engine.platform.timeutil import local_today

DEPARTMENTS = ["urbanism", "taxe", "juridic", "gospodarie", "asistenta_sociala", "stare_civila"]
DEPARTMENTS += ["politia_locala", "arhiva"]
PROCEDURES = ["petitie", "informatii_publice", "certificat_urbanism", "sesizare", "audienta"]
BATCH = 5000


def _url(raw: str | None) -> str:
    if not raw:
        return f"sqlite:///{tempfile.mkdtemp()}/bench-stats.db"
    if raw.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def _fresh(db: Database) -> None:
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)


def populate(db: Database, n: int, today: date, seed: int = 7) -> tuple[int, int]:
    """Insert n requests with their entries, instances and tasks; return (admin, head) ids."""
    rnd = random.Random(seed)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Department),
            [
                {"code": c, "name": c.title(), "active": True}
                for c in ["registratura", *DEPARTMENTS]
            ],
        )
        users = [
            {
                "id": i + 1,
                "email": f"f{i}@bench.ro",
                "name": f"Funcționar {i}",
                "password_hash": "x",
            }
            for i in range(26)
        ]
        conn.execute(insert(User), users)
        conn.execute(text("UPDATE users SET is_admin = true WHERE id = 25"))
        members = [
            {"user_id": i + 1, "department_code": DEPARTMENTS[i % 8], "is_head": i < 8}
            for i in range(24)
        ]
        conn.execute(insert(Membership), members)
        conn.execute(
            insert(ProcessVersion),
            [
                {
                    "id": 1,
                    "procedure": "petitie",
                    "process_id": "petitie",
                    "content_hash": "0" * 64,
                    "filename": "petitie.bpmn",
                    "source": b"<bpmn/>",
                    "called_sources": {},
                    "catalog_entry": {},
                    "forms": {},
                }
            ],
        )
        entry_id = 0
        for start in range(0, n, BATCH):
            entries: list[dict[str, Any]] = []
            requests: list[dict[str, Any]] = []
            instances: list[dict[str, Any]] = []
            tasks: list[dict[str, Any]] = []
            for rid in range(start + 1, min(n, start + BATCH) + 1):
                reg = today - timedelta(days=rnd.randint(0, 730))
                at = datetime(reg.year, reg.month, reg.day, 9, tzinfo=UTC)
                dept, proc = rnd.choice(DEPARTMENTS), rnd.choice(PROCEDURES)
                answered = reg + timedelta(days=rnd.randint(1, 40))
                is_open = answered > today or rnd.random() < 0.05
                entry_id += 1
                entries.append(_entry(entry_id, reg, at, "in"))
                row = {
                    "id": rid,
                    "procedure": proc,
                    "status": RequestStatus.IN_PROGRESS if is_open else RequestStatus.COMPLETED,
                    "registry_entry_id": entry_id,
                    "registration_number": entry_id,
                    "registration_date": reg,
                    "due_date": reg + timedelta(days=30),
                    "summary": "Cerere",
                    "data": {},
                    "created_at": at,
                    "updated_at": at,
                    "answer_entry_id": None,
                    "closed_at": None,
                }
                if not is_open:
                    entry_id += 1
                    entries.append(_entry(entry_id, answered, at, "out"))
                    row["answer_entry_id"] = entry_id
                    row["closed_at"] = datetime(
                        answered.year, answered.month, answered.day, 11, tzinfo=UTC
                    )
                requests.append(row)
                instances.append(
                    {"id": rid, "request_id": rid, "process_version_id": 1, "state": "{}"}
                )
                for k, (d, ready) in enumerate((("registratura", False), (dept, is_open))):
                    holder = DEPARTMENTS.index(dept) + 1 + 8 * rnd.randint(0, 2)
                    tasks.append(
                        {
                            "id": str(uuid.UUID(int=rnd.getrandbits(128))),
                            "request_id": rid,
                            "instance_id": rid,
                            "bpmn_id": f"pas{k}",
                            "name": f"Pasul {k}",
                            "department": d,
                            "state": TaskState.READY if ready else TaskState.COMPLETED,
                            "due_date": reg + timedelta(days=30),
                            "request_created_at": at,
                            "created_at": at + timedelta(minutes=k),
                            "claimed_by_id": holder if ready and rnd.random() < 0.7 else None,
                        }
                    )
            conn.execute(insert(RegistryEntry), entries)
            conn.execute(insert(Request), requests)
            conn.execute(insert(Instance), instances)
            conn.execute(insert(TaskRecord), tasks)
        if not db.is_sqlite:
            conn.execute(text("ANALYZE"))
    return 25, 1  # the administrator; the head of urbanism


def _entry(entry_id: int, day: date, at: datetime, direction: str) -> dict[str, Any]:
    return {
        "id": entry_id,
        "year": day.year,
        "number": entry_id,
        "registered_on": day,
        "registered_at": at,
        "direction": direction,
        "issuer": "Bench",
        "summary": "Cerere",
        "prev_hash": "0" * 64,
        "entry_hash": f"{entry_id:064d}",
    }


def measure(label: str, runs: int, work: Callable[[], Any]) -> None:
    work()  # warm the caches and the plan
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(
        f"{label:<48} p50 {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms   "
        f"max {times[-1]:8.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    db = Database(_url(args.database_url))
    _fresh(db)
    today = local_today()
    t0 = time.perf_counter()
    admin_id, head_id = populate(db, args.requests, today)
    print(f"{db.engine.dialect.name}: {args.requests} requests in {time.perf_counter() - t0:.0f} s")
    year = stats.StatsQuery(stats.default_start(today), today, None, today)
    calendar = LegalCalendar()
    with db.session() as s:
        admin, head = s.get(User, admin_id), s.get(User, head_id)
        assert admin is not None and head is not None
        sample = s.scalar(
            select(Request).where(Request.status == RequestStatus.IN_PROGRESS).limit(1)
        )
        assert sample is not None
        result = stats.dashboard(s, admin, year)
        print(
            f"rows {len(result.rows)}, answered in 12 months {result.totals().answered}, "
            f"open {result.totals().open}, officials holding tasks {len(result.load)}"
        )
        measure(
            "dashboard, whole city, 12 months", args.runs, lambda: stats.dashboard(s, admin, year)
        )
        measure(
            "dashboard, one head's department", args.runs, lambda: stats.dashboard(s, head, year)
        )
        p = stats.prediction(s, calendar, sample, today)
        print(f"prediction: {p}")
        measure(
            "prediction on a request page",
            args.runs,
            lambda: stats.prediction(s, calendar, sample, today),
        )
    db.dispose()


if __name__ == "__main__":
    main()
