"""Timers at scale: 100,000 pending timers, then 1,000 due in the same minute, fired by real
RQ workers; the lateness between due time and firing, Redis's memory and the workers'.

    python -m scripts.bench_timers --reset [--database-url URL] [--redis-url URL]
                                   [--background 100000] [--burst 1000] [--workers 1,2]

It EMPTIES the database DATABASE_URL names (PostgreSQL: schema public dropped) and the Redis
database REDIS_URL names (FLUSHDB), so it asks for --reset and refuses Redis database 0.
The 100,000 background timers are rows (Core bulk inserts) due over the coming year, from
tomorrow: as the engine leaves them, only rows, since Redis holds just the timers due
within the sweep's horizon (engine.platform.rqueue.HORIZON). The burst is real petitions,
registered and triaged through the engine, whose reminder falls inside one minute. Each
round reports the load average of the machine (os.getloadavg) before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import insert, select, text

from engine import jobs
from engine.cases import operations
from engine.circuit import Circuit, install
from engine.models import Request, TaskRecord, TaskState, Timer, TimerStatus, User
from engine.platform.config import PROJECT_ROOT, SHIPPED_ROOT, Settings
from engine.platform.db import Database
from engine.platform.migrate import upgrade
from engine.platform.timeutil import as_aware, moved_clock, utcnow
from engine.workflow.catalog import Catalog
from scripts.bench import TRIAGE, petition, seed_people

REMINDER_AFTER = 3600  # seconds from registration; the burst is registered an hour "earlier"


def log(message: str) -> None:
    print(f"[bench_timers] {message}", file=sys.stderr, flush=True)


def reset(url: str, redis: Redis) -> None:
    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    redis.flushdb()


def catalog_dir(tmp: Path) -> Path:
    """The shipped catalog, with the petition's reminder an hour after registration."""
    folder = tmp / "processes"
    shutil.copytree(SHIPPED_ROOT / "processes", folder)
    entry = json.loads((folder / "petitie.json").read_text())
    entry.pop("reminder_days", None)
    entry["reminder_after_seconds"] = REMINDER_AFTER
    (folder / "petitie.json").write_text(json.dumps(entry, ensure_ascii=False))
    return folder


def triage(c: Circuit, people: dict[str, Any], rid: int) -> None:
    with c.db.transaction() as s:
        task_id = s.scalar(
            select(TaskRecord.id).where(
                TaskRecord.request_id == rid, TaskRecord.state == TaskState.READY
            )
        )
        registry = s.get(User, people["registry"][0])
        assert task_id is not None and registry is not None
        # Older triage tasks may wait unclaimed (the burst's): skipping them needs a reason.
        operations.complete_task(s, c, registry, task_id, TRIAGE, "bench: triere")


def register(c: Circuit, people: dict[str, Any], i: int) -> int:
    with c.db.transaction() as s:
        citizen = s.get(User, people["citizen"][0])
        assert citizen is not None
        req, _ = operations.start_request(s, c, citizen, "petitie", petition(i))
        return int(req.id)


def register_and_triage(c: Circuit, people: dict[str, Any], i: int) -> int:
    rid = register(c, people, i)
    triage(c, people, rid)
    return rid


def background(c: Circuit, people: dict[str, Any], count: int) -> None:
    """`count` waiting timers due over the coming year: rows, and RQ's scheduled jobs."""
    holder = register_and_triage(c, people, 0)
    with c.db.session() as s:
        instance_id = s.scalar(select(Timer.instance_id).where(Timer.request_id == holder))
    now, year = utcnow(), 365 * 86400
    rows: list[dict[str, Any]] = [
        {
            "request_id": holder,
            "instance_id": instance_id,
            "task_id": str(uuid.uuid4()),
            "bpmn_id": "Reamintire",
            "name": "Reamintire termen",
            "department": "urbanism",
            "due_at": now + timedelta(days=1, seconds=year * k / count),
            "status": TimerStatus.WAITING.value,
            "created_at": now,
        }
        for k in range(count)
    ]
    t0 = time.perf_counter()
    with c.db.engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(insert(Timer), rows[start : start + 10_000])
    log(f"{count} timer rows inserted in {time.perf_counter() - t0:.1f} s")
    # What the engine sends RQ of them: those due within the horizon (none, from tomorrow).
    sent = jobs.sweep(jobs.rq_dispatcher(c.redis()))
    log(f"the sweep sent RQ {sent} job(s)")
    with c.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE timers"))


def burst(c: Circuit, people: dict[str, Any], count: int, due: datetime, spread: float) -> list:
    """Register `count` petitions whose reminders fall in [due, due + spread)."""
    rids = []
    with moved_clock() as clock:
        for i in range(count):
            clock.move_to(due - timedelta(seconds=REMINDER_AFTER - spread * i / count))
            rids.append(register(c, people, i))
    for rid in rids:  # triage now, by the real clock: the reminder waits on the draft
        triage(c, people, rid)
    return rids


def start_worker(c: Circuit, processes: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=c.settings.database_url,
        REDIS_URL=c.settings.redis_url or "",
        CIRCUIT_DATA_DIR=str(c.settings.data_dir),
        CIRCUIT_PROCESSES_DIR=str(processes),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "worker"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def redis_memory(redis: Redis) -> int:
    """Redis's used_memory (INFO memory), in bytes."""
    info: dict[str, Any] = redis.info("memory")  # type: ignore[assignment]
    return int(info["used_memory"])


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """The largest Redis used_memory and worker RSS seen while running."""

    def __init__(self, redis: Redis, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.redis, self.pids, self.stop = redis, pids, threading.Event()
        self.redis_bytes = 0
        self.rss = dict.fromkeys(pids, 0)

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.redis_bytes = max(self.redis_bytes, redis_memory(self.redis))
            for pid in self.pids:
                self.rss[pid] = max(self.rss[pid], rss_kib(pid))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def run_round(
    c: Circuit, people: dict, processes: Path, workers: int, count: int, spread: float
) -> dict[str, Any]:
    # How long registering takes here, to set the minute far enough ahead.
    t0 = time.perf_counter()
    for i in range(5):
        register_and_triage(c, people, 10_000 + i)  # reminders an hour away
    per = (time.perf_counter() - t0) / 5
    due = utcnow() + timedelta(seconds=per * count * 1.3 + 60)
    due = due.replace(second=0, microsecond=0) + timedelta(minutes=1)
    log(
        f"{workers} worker(s): registering {count} petitions ({per * 1000:.0f} ms each), "
        f"reminders due from {due:%H:%M:%S} UTC over {spread:.0f} s"
    )
    rids = burst(c, people, count, due, spread)
    ready_at = utcnow()
    if ready_at > due:
        log(f"setup overran the due minute by {(ready_at - due).total_seconds():.0f} s")
    load_before = os.getloadavg()
    procs = [start_worker(c, processes) for _ in range(workers)]
    sampler = Sampler(c.redis(), [p.pid for p in procs])
    sampler.start()
    limit = due + timedelta(seconds=spread + 900)
    try:
        while utcnow() < limit:
            with c.db.session() as s:
                waiting = s.scalar(
                    select(Timer.id)
                    .where(Timer.request_id.in_(rids), Timer.status == TimerStatus.WAITING)
                    .limit(1)
                )
            if waiting is None and utcnow() > due:
                break
            time.sleep(1)
    finally:
        sampler.stop.set()
        sampler.join()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    with c.db.session() as s:
        timers = s.scalars(select(Timer).where(Timer.request_id.in_(rids))).all()
        late = [
            (as_aware(t.fired_at) - as_aware(t.due_at)).total_seconds()
            for t in timers
            if t.status == TimerStatus.FIRED and t.fired_at is not None
        ]
        fired = late
        reminders = s.scalar(
            text(
                "SELECT count(*) FROM notifications WHERE kind = 'reminder' AND request_id IN "
                f"({','.join(str(r) for r in rids)})"
            )
        )
        open_requests = s.scalar(select(Request.id).where(Request.id.in_(rids)).limit(1))
    assert open_requests is not None
    return {
        "workers": workers,
        "timers": len(timers),
        "fired": len(fired),
        "missed": len(timers) - len(fired),
        "reminders": reminders,
        "lateness_p50_s": round(statistics.median(late), 3) if late else None,
        "lateness_p95_s": round(pct(late, 0.95), 3) if late else None,
        "lateness_max_s": round(max(late), 3) if late else None,
        "setup_overran_s": round(max(0.0, (ready_at - due).total_seconds()), 1),
        "redis_used_memory_mb": round(sampler.redis_bytes / 2**20, 1),
        "worker_rss_mb": [round(v / 1024, 1) for v in sampler.rss.values()],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    ap.add_argument("--background", type=int, default=100_000)
    ap.add_argument("--burst", type=int, default=1_000)
    ap.add_argument("--spread", type=float, default=60.0, help="seconds the burst is due over")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--reset", action="store_true", help="empty the database and Redis db")
    args = ap.parse_args(argv)
    if not args.reset or not args.database_url or not args.redis_url:
        raise SystemExit("needs --reset, a DATABASE_URL and a REDIS_URL (both are emptied)")
    if args.redis_url.rstrip("/").endswith(("/0", ":6379")):
        raise SystemExit("refusing Redis database 0: name another (redis://host:6379/N)")
    url = args.database_url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    tmp = Path(tempfile.mkdtemp(prefix="bench-timers-"))
    try:
        processes = catalog_dir(tmp)
        redis = Redis.from_url(args.redis_url)
        reset(url, redis)
        settings = Settings(
            data_dir=tmp / "data",
            database_url=url,
            redis_url=args.redis_url,
            secret_key="bench-timers",
            processes_dir=processes,
        )
        settings.data_dir.mkdir()
        db = Database(url)
        upgrade(db)
        c = Circuit(settings=settings, db=db, catalog=Catalog.load(processes))
        install(c)
        c.deploy_all()
        jobs.use_rq(c)
        people = seed_people(c, "t")
        background(c, people, args.background)
        results = {
            "background_timers": args.background,
            "redis_used_memory_mb_after_background": round(redis_memory(redis) / 2**20, 1),
            "rounds": [
                run_round(c, people, processes, int(n), args.burst, args.spread)
                for n in args.workers.split(",")
            ],
        }
        print(json.dumps(results, indent=2))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
