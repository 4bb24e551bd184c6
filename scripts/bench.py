"""Measure the engine, the reads and the HTTP API against a real database.

    python -m scripts.bench [--database-url URL] [--n 200] [--inbox-rows 100000]
                            [--http] [--port 5077] [--json FILE] [--profile]

PostgreSQL: a fresh database (--bench-db, default circuit_bench) is created on the server
that URL names, dropped first; the database named in URL itself is never touched.
SQLite (a `sqlite...` URL, or no URL at all): a fresh temporary file.
The backlog is inserted first, so every figure is taken on a populated database. The reads
are the department inboxes, the request lists (the registry's, an applicant's) and the
register's page.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import platform
import pstats
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from time import perf_counter_ns
from types import SimpleNamespace
from typing import Any, cast

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from engine.cases import operations, queries
from engine.circuit import Circuit, install
from engine.models import Instance, ProcessVersion, RegistryEntry, TaskRecord, TaskState, User
from engine.people import accounts, organisation
from engine.platform import heap
from engine.platform.config import PROJECT_ROOT, SHIPPED_ROOT, Settings
from engine.platform.db import Base, Database
from engine.platform.migrate import upgrade
from engine.platform.timeutil import BUCHAREST, local_today, utcnow
from engine.register import book
from engine.register import chain as registry
from engine.workflow.catalog import Catalog

WARMUP = 10
TARGET_MS = 20  # p95 of every read, at a county's million open requests (issue 17)
PASSWORD = "parola-de-bench-1"
TRIAGE = {"decizie_triere": "repartizare", "departament": "urbanism"}
# The bench runs on the default settings, its server too: the registry keeps its default code.
REGISTRY = Settings.registry_department
DEPARTMENTS = {  # code: (name, share of the backlog's open tasks); the registry does triage
    REGISTRY: ("Registratură și Relații cu Publicul", 25),
    "urbanism": ("Urbanism și Amenajarea Teritoriului", 25),
    "taxe": ("Taxe și Impozite Locale", 18),
    "juridic": ("Juridic", 8),
    "secretar": ("Secretar General", 6),
    "asistenta_sociala": ("Asistență Socială", 8),
    "patrimoniu": ("Patrimoniu", 5),
    "achizitii": ("Achiziții Publice", 5),
    # Named by the shipped diagrams' lanes: `circuit run` deploys them only once they exist.
    "arhiva": ("Arhivă", 0),
    "primar": ("Primar", 0),
}
TRIO = ["urbanism", "taxe", "juridic"]
STEPS = {"triere": "Repartizare petiție", "redactare": "Redactare răspuns"}
STEPS["aprobare"] = "Aprobare răspuns"
COLUMNS = {  # of the backlog rows, in this order
    "registry_entries": "id year number registered_on registered_at direction issuer summary "
    "department file_code prev_hash request_id entry_hash",
    "requests": "id procedure applicant_id status registry_entry_id registration_number "
    "registration_date due_date summary data created_at updated_at",
    "instances": "id request_id process_version_id state revision completed updated_at",
    "tasks": "id request_id instance_id bpmn_id name department role form state due_date "
    "request_created_at created_at",
}
PLACEHOLDER_STATE = '{"placeholder": "backlog row; inboxes never read instances"}'
PACKAGES = ("sqlalchemy", "psycopg", "SpiffWorkflow", "engine", "jsonschema")  # psycopg: + waits
Op = Callable[[Session, User], Any]
Call = tuple[str, str, Any]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def petition(i: int) -> dict[str, str]:
    return {
        "subiect": f"Iluminat public defect pe strada Morilor nr. {i}",
        "continut": "Vă aduc la cunoștință că iluminatul public de pe strada Morilor este "
        "defect de trei săptămâni, între numerele 10 și 40. Seara strada este complet "
        "întunecată, iar copiii se întorc de la școală pe întuneric. Vă rog să dispuneți "
        "remedierea defecțiunii și să-mi comunicați termenul în care va fi rezolvată.",
        "adresa_corespondenta": f"Str. Morilor nr. {i}, Cluj-Napoca",
    }


def stats(samples_ns: list[int], note: str = "") -> dict[str, Any]:
    """Return n, the median and the 95th percentile (nearest rank) in milliseconds."""
    ms = sorted(s / 1e6 for s in samples_ns) or [float("nan")]
    p95 = ms[-(len(ms) // 20) - 1]  # the ceil(0.95 n)-th smallest
    return {"n": len(samples_ns), "p50": statistics.median(ms), "p95": p95, "note": note}


class Probe:
    """Count the SQL statements this process sends; profile timed sections when asked."""

    def __init__(self, engine: Any) -> None:
        self.statements = 0
        self.profiler: cProfile.Profile | None = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.statements += 1


# ---- setup -------------------------------------------------------------------------------


def prepare_database(url: str, bench_db: str, tmp: Path) -> str:
    """Return the URL of a fresh, empty database for this run."""
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'bench.db'}"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", bench_db):
        raise SystemExit(f"--bench-db must be a plain identifier, not {bench_db!r}")
    url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)
    target = make_url(url).set(database=bench_db)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{bench_db}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def build_circuit(url: str, data_dir: Path) -> Circuit:
    settings = Settings(data_dir=data_dir, database_url=url, redis_url=None, secret_key="bench")
    db = Database(url)
    upgrade(db)
    circuit = Circuit(settings=settings, db=db, catalog=Catalog.load(settings.processes_dir))
    install(circuit)
    circuit.deploy_all()
    circuit.set_dispatcher(None)  # jobs stay as rows; the bench runs no worker
    return circuit


def seed_people(circuit: Circuit, tag: str) -> dict[str, tuple[int, str]]:
    """Create the departments, a citizen, officials and the backlog's applicants."""
    people = {
        "citizen": ("cetatean", []),
        "registry": ("registratura", [REGISTRY]),
        "urbanism": ("urbanism", ["urbanism"]),  # triage routes only to staffed departments
    }
    people.update({f"applicant{k}": (f"petent{k}", []) for k in range(8)})
    with circuit.db.transaction() as s:
        for code, (name, _) in DEPARTMENTS.items():
            organisation.ensure_department(s, code, name)
        users = {
            who: accounts.create_user(
                s, f"{login}.{tag}@example.ro", login.title(), PASSWORD, departments=departments
            )
            for who, (login, departments) in people.items()
        }
        return {who: (user.id, user.email) for who, user in users.items()}


# ---- engine ------------------------------------------------------------------------------


def in_transaction(circuit: Circuit, user_id: int, op: Op, probe: Probe) -> tuple[int, Any, int]:
    """Run op and the commit in one session; return its time, result and statement count."""
    session = circuit.db.session()
    try:
        user = session.get(User, user_id)  # with its memberships, before the clock starts
        assert user is not None
        before = probe.statements
        if probe.profiler:
            probe.profiler.enable()
        t0 = perf_counter_ns()
        result = op(session, user)
        session.commit()
        elapsed = perf_counter_ns() - t0
        if probe.profiler:
            probe.profiler.disable()
        return elapsed, result, probe.statements - before
    finally:
        session.close()


def measure(circuit: Circuit, user_id: int, ops: list[Op], probe: Probe) -> tuple[dict, list]:
    samples, statements, results = [], [], []
    for k, op in enumerate(ops):
        elapsed, result, count = in_transaction(circuit, user_id, op, probe)
        results.append(result)
        if k >= WARMUP:
            samples.append(elapsed)
            statements.append(count)
    return stats(samples, f"{statistics.mean(statements):.0f} SQL statements/op"), results


def start_op(circuit: Circuit, i: int) -> Op:
    def op(session: Session, user: User) -> int:
        return operations.start_request(session, circuit, user, "petitie", petition(i))[0].id

    return op


def complete_op(circuit: Circuit, task_id: str) -> Op:
    def op(session: Session, user: User) -> str:
        # Completing claims the task first; the backlog's older triage tasks wait unclaimed.
        why = "bench: triage of the measured requests"
        return operations.complete_task(session, circuit, user, task_id, dict(TRIAGE), why).status

    return op


def triage_tasks(circuit: Circuit, request_ids: list[int]) -> list[str]:
    """Return the READY triage task of each request, in the order of the requests."""
    query = select(TaskRecord.request_id, TaskRecord.id).where(
        TaskRecord.request_id.in_(request_ids),
        TaskRecord.bpmn_id == "triere",
        TaskRecord.state == TaskState.READY,
    )
    with circuit.db.session() as s:
        found = dict(s.execute(query).all())
    return [found[r] for r in request_ids if r in found]


def state_size(circuit: Circuit, request_ids: list[int]) -> int:
    query = select(func.length(Instance.state)).where(Instance.request_id.in_(request_ids))
    with circuit.db.session() as s:
        return int(statistics.median(s.scalars(query).all()))


def bench_engine(
    circuit: Circuit, people: dict[str, Any], probe: Probe, n: int, notes: dict[str, Any]
) -> dict[str, Any]:
    """Time start_request and complete_task, and SpiffWorkflow alone on the same diagram."""
    starts = [start_op(circuit, i) for i in range(n + WARMUP)]
    start, ids = measure(circuit, people["citizen"][0], starts, probe)
    sizes = {"engine_after_start": state_size(circuit, ids)}
    completes = [complete_op(circuit, t) for t in triage_tasks(circuit, ids)]
    complete, _ = measure(circuit, people["registry"][0], completes, probe)
    sizes["engine_after_triage"] = state_size(circuit, ids)
    bare, bare_sizes = bench_bare(n)
    notes["sizes"] = sizes = {**sizes, **bare_sizes}
    notes["instances.state, bytes"] = (
        f"{sizes['engine_after_start']} after start, {sizes['engine_after_triage']} after triage "
        f"(spec kept apart); bare SpiffWorkflow full JSON: {sizes['bare_after_start']} / "
        f"{sizes['bare_after_triage']}"
    )
    figures = {}
    for op, mine in (("start", start), ("complete", complete)):
        figures[f"engine {op}"] = mine
        figures[f"bare SpiffWorkflow {op}"] = bare[op]
        ratio = {q: mine[q] / bare[op][q] for q in ("p50", "p95")}
        target = "(target for complete: <= 3)" if op == "complete" else ""
        figures[f"ratio engine/bare {op} (x)"] = {"n": "", **ratio, "note": target}
    return figures


def bench_bare(n: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Time SpiffWorkflow alone: start, and complete the triage task, JSON round trip each."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(SHIPPED_ROOT / "bpmn" / "petitie.bpmn"))
    spec, subprocesses = parser.get_spec("petitie"), parser.get_subprocess_specs("petitie")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    now = datetime.now(BUCHAREST)
    due = (now + timedelta(days=30)).date().isoformat()
    initial: dict[str, Any] = {**petition(1), "termen_legal": due}
    initial["reamintire_la"] = (now + timedelta(days=25)).isoformat()
    initial["petent"] = {"nume": "Ion Popescu", "email": "ion.popescu@example.ro"}
    initial["cerere"] = {"id": 1, "numar": 1, "data": now.date().isoformat(), "termen_legal": due}

    def start() -> str:
        workflow = BpmnWorkflow(spec, subprocesses)
        for task in workflow.get_tasks(state=SpiffState.READY):
            task.data.update(initial)
        workflow.do_engine_steps()
        return str(serializer.serialize_json(workflow))

    def complete(state: str) -> str:
        workflow = serializer.deserialize_json(state)
        ready = workflow.get_tasks(state=SpiffState.READY, manual=True)
        task = next(t for t in ready if t.task_spec.bpmn_id == "triere")
        task.data.update(TRIAGE)
        task.run()
        workflow.do_engine_steps()
        return str(serializer.serialize_json(workflow))

    starts, completes = [], []
    for k in range(WARMUP + n):
        t0 = perf_counter_ns()
        state = start()
        t1 = perf_counter_ns()
        final = complete(state)
        if k >= WARMUP:
            starts.append(t1 - t0)
            completes.append(perf_counter_ns() - t1)
    sizes = {"bare_after_start": len(state), "bare_after_triage": len(final)}
    return {"start": stats(starts), "complete": stats(completes)}, sizes


def profile(circuit: Circuit, people: dict[str, Any], probe: Probe, runs: int) -> None:
    """Print where start_request and complete_task spend their time."""
    probe.profiler = cProfile.Profile()
    starts = [start_op(circuit, 10**6 + i) for i in range(runs)]
    ids = [in_transaction(circuit, people["citizen"][0], op, probe)[1] for op in starts]
    print_profile("start_request", probe.profiler, runs)
    probe.profiler = cProfile.Profile()
    for task_id in triage_tasks(circuit, ids):
        in_transaction(circuit, people["registry"][0], complete_op(circuit, task_id), probe)
    print_profile("complete_task", probe.profiler, runs)
    probe.profiler = None


def print_profile(what: str, profiler: cProfile.Profile, runs: int) -> None:
    """Print the top 15 engine and SpiffWorkflow functions, then self time by package."""
    print(f"\n== cProfile, {what} + commit, {runs} runs: top 15 cumulative, engine and Spiff ==")
    profiled = pstats.Stats(profiler)
    ours = re.escape(str(PROJECT_ROOT / "engine")) + "/|/SpiffWorkflow/"
    profiled.sort_stats("cumulative").print_stats(ours, 15)
    own: dict[str, float] = {}
    for (path, _, _), (_, _, self_time, _, _) in profiled.stats.items():  # type: ignore[attr-defined]  # typeshed lacks pstats' .stats
        package = next((p for p in PACKAGES if f"/{p}/" in path), "other")  # the first wins
        own[package] = own.get(package, 0.0) + self_time / runs * 1e3
    ranked = sorted(own.items(), key=lambda item: -item[1])
    print("  self time, ms per op: " + ", ".join(f"{p} {ms:.1f}" for p, ms in ranked))


# ---- backlog and inbox -------------------------------------------------------------------


def bulk_insert(conn: Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL, executemany through SQLAlchemy Core elsewhere."""
    columns = COLUMNS[table].split()
    if conn.dialect.name != "postgresql":
        dicts = [dict(zip(columns, r, strict=True)) for r in rows]
        conn.execute(Base.metadata.tables[table].insert(), dicts)
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in r])


def insert_backlog(circuit: Circuit, count: int, applicants: list[int]) -> float:
    """Insert `count` open petitions, each with one READY task, into the empty database."""
    started = time.perf_counter()
    rng, now, proc = random.Random(2026), utcnow(), circuit.catalog.get("petitie")
    assert proc is not None
    with circuit.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Instance)) == 0, "database not empty"
        version_id = s.scalar(select(func.max(ProcessVersion.id)))
        calendar = circuit.calendar(s)
    stamps = sorted(now - timedelta(seconds=rng.uniform(60, 60 * 86400)) for _ in range(count))
    shares = [share for _, share in DEPARTMENTS.values()]
    depts = rng.choices(list(DEPARTMENTS), weights=shares, k=count)
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
    entry_names = COLUMNS["registry_entries"].split()[:-1]
    numbers: dict[int, int] = {}  # per year: registration numbers are gap-free within a year
    chain: dict[int, str] = {}  # the hash of the last entry: one chain across the years
    dues: dict[Any, Any] = {}
    for k, (at, dept) in enumerate(zip(stamps, depts, strict=True), start=1):
        local = at.astimezone(BUCHAREST)
        day, year = local.date(), local.year
        n = numbers[year] = numbers.get(year, 0) + 1
        if day not in dues:
            dues[day] = calendar.deadline(day, proc.deadline_days, proc.deadline_kind)
        data, due, issuer = petition(k), dues[day], f"Petent {k % 9}"
        subject, prev = data["subiect"], chain.get(0, registry.GENESIS)
        entry = (k, year, n, day, at, "in", issuer, subject, REGISTRY, "II-5", prev, k)
        named = dict(zip(entry_names, entry, strict=True))
        fields = SimpleNamespace(
            recipient=None,
            linked_year=None,
            linked_number=None,
            channel=None,
            issuer_number=None,
            issuer_date=None,
            pages=None,
            annexes=None,
            documents=None,
            **named,
        )
        chain[0] = registry.entry_digest(cast(RegistryEntry, fields))  # the columns it reads
        rows["registry_entries"].append((*entry, chain[0]))
        step = "triere" if dept == REGISTRY else rng.choice(["redactare"] * 4 + ["aprobare"])
        status, who = "registered" if step == "triere" else "in_progress", rng.choice(applicants)
        rows["requests"].append((k, "petitie", who, status, k, n, day, due, subject, data, at, at))
        rows["instances"].append((k, k, version_id, PLACEHOLDER_STATE, 1, False, at))
        task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        role, form = "head" if step == "aprobare" else None, f"petitie_{step}.json"
        task = (task_id, k, k, step, STEPS[step], dept, role, form, "ready", due, at, at)
        rows["tasks"].append(task)
    t0 = time.perf_counter()
    log(f"backlog rows built in {t0 - started:.1f} s; inserting")
    with circuit.db.engine.begin() as conn:
        for table, table_rows in rows.items():
            bulk_insert(conn, table, table_rows)
        for year, last in numbers.items():
            insert = "INSERT INTO registry_counters (year, last_number) VALUES (:y, :n)"
            conn.execute(text(insert), {"y": year, "n": last})
        for table in ("registry_entries", "requests", "instances"):
            if conn.dialect.name == "postgresql":
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, (SELECT MAX(id) FROM {table}))"))
    with circuit.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - t0


def bench_inbox(
    circuit: Circuit, people: dict[str, tuple[int, str]], rows: int, runs: int = 200
) -> dict[str, dict[str, Any]]:
    """Time the reads: department inboxes, the request lists, the register's page."""
    inbox, count = queries.department_inbox, queries.inbox_count

    def listing(who: str) -> Callable[[Session], Any]:
        def run(s: Session) -> Any:
            user = s.get(User, people[who][0])
            assert user is not None
            return queries.visible_requests(s, user, page=1, per_page=20)[0]

        return run

    def register(page: int) -> Callable[[Session], Any]:
        """The register's page as the registry opens it: this year's lines, newest first."""
        today = local_today()
        # From 1 January, as the page's default, but of last year in the backlog's first two
        # months, so that the period holds the whole backlog whatever the day of the run.
        start = (today - timedelta(days=61)).replace(month=1, day=1)

        def run(s: Session) -> Any:
            user = s.get(User, people["registry"][0])
            assert user is not None
            return book.listing(s, user, start, today, page=page, per_page=50)[0]

        return run

    share = rows // len([who for who in people if who.startswith("applicant")])
    cases: dict[str, Callable[[Session], Any]] = {
        "department_inbox urbanism, page 1": lambda s: inbox(s, ["urbanism"], limit=50),
        "department_inbox urbanism, page 20": lambda s: inbox(s, ["urbanism"], offset=950),
        "department_inbox 3 departments, page 1": lambda s: inbox(s, TRIO, limit=50),
        "department_inbox 3 departments, page 20": lambda s: inbox(s, TRIO, offset=950),
        "department_inbox registratura, page 1": lambda s: inbox(s, [REGISTRY]),
        "inbox_count urbanism": lambda s: count(s, ["urbanism"]),
        "inbox_count 3 departments": lambda s: count(s, TRIO),
        "request list, registry official, page 1": listing("registry"),
        f"request list, applicant of ~{share:,}, page 1": listing("applicant0"),
        "register, registry official, page 1": register(1),
        "register, registry official, page 20": register(20),
    }
    out = {}
    for name, query in cases.items():
        samples = []
        for k in range(WARMUP + runs):
            with circuit.db.session() as s:  # a fresh session, as each HTTP request has
                t0 = perf_counter_ns()
                result = query(s)
                elapsed = perf_counter_ns() - t0
            if k >= WARMUP:
                samples.append(elapsed)
        found = f"count {result}" if isinstance(result, int) else f"{len(result)} rows"
        out[name] = stats(samples, found)
        out[name]["note"] += "" if out[name]["p95"] <= TARGET_MS else "; OVER TARGET"
    return out


# ---- HTTP --------------------------------------------------------------------------------


class Api:
    """One HTTP/1.1 connection to the local server; http.client reopens it if closed."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.responses = self.closed_by_server = 0

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, int]:
        payload = json.dumps(body).encode() if body is not None else None
        t0 = perf_counter_ns()
        self.conn.request(method, path, body=payload, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = perf_counter_ns() - t0
        self.responses += 1
        self.closed_by_server += bool(response.will_close)
        return response.status, json.loads(raw) if raw else None, elapsed


def start_server(
    url: str, port: int, redis_url: str, register_key: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `circuit run` in its own process group and wait until it answers."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already taken by another server; use --port")
    data_dir = Path(tempfile.mkdtemp(prefix="circuit-bench-http-"))
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url}
    env["CIRCUIT_DATA_DIR"] = str(data_dir)
    env["CIRCUIT_REGISTRY_DEPARTMENT"] = REGISTRY
    if register_key is not None:  # the engine part made it: the server is a second node
        env["CIRCUIT_REGISTER_KEY_FILE"] = str(register_key)
    # One benchmark citizen submits thousands of requests: measure throughput, not the throttle.
    env["CIRCUIT_SUBMISSION_LIMIT"] = "1000000 per hour"
    command = [shutil.which("circuit") or str(Path(sys.executable).parent / "circuit"), "run"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with open(data_dir / "server.log", "wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if Api(port).call("GET", "/api/v1/departments")[0] == 200:
                return server
        except (OSError, http.client.HTTPException):
            time.sleep(0.5)
    stop_server(server)
    tail = (data_dir / "server.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"`circuit run` did not answer on port {port}:\n{tail}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group: gunicorn master and workers, the RQ worker."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def drive(apis: list[Api], calls: Iterator[Call], seconds: float, warmup: int = 0) -> tuple:
    """Send calls from one thread per connection until time is up or the calls run out."""
    samples: list[int] = []
    bodies: list[Any] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = perf_counter_ns() + seconds * 1e9

    def client(api: Api) -> None:
        while perf_counter_ns() < stop_at:
            with lock:
                call = next(calls, None)
            if call is None:
                return
            status, body, elapsed = api.call(*call)
            with lock:
                samples.append(elapsed)
                bodies.append(body)
                failures[0] += status >= 300

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    note = f"{len(samples) / wall:.0f} req/s over {wall:.1f} s; failures {failures[0]}"
    return stats(samples[warmup:], note), bodies


def start_many(circuit: Circuit, citizen_id: int, count: int) -> list[int]:
    """Start `count` petitions in one transaction, untimed; return their request ids."""
    with circuit.db.transaction() as s:
        user = s.get(User, citizen_id)
        assert user is not None
        start = operations.start_request
        return [start(s, circuit, user, "petitie", petition(i))[0].id for i in range(count)]


def bench_http(circuit: Circuit, url: str, args: argparse.Namespace, people: dict, notes: dict):
    server = start_server(url, args.port, args.redis_url, circuit.settings.register_key_path)
    try:
        tokens = {}
        for who in ("citizen", "registry"):
            body = {"email": people[who][1], "password": PASSWORD}
            status, answer, _ = Api(args.port).call("POST", "/api/v1/auth/token", body)
            assert status == 200, answer
            tokens[who] = answer["token"]

        def apis(who: str, count: int) -> list[Api]:
            return [Api(args.port, tokens[who]) for _ in range(count)]

        def submits(numbers: Iterator[int]) -> Iterator[Call]:
            for i in numbers:
                yield "POST", "/api/v1/requests", {"procedure": "petitie", "data": petition(i)}

        def completes(request_ids: list[int]) -> Iterator[Call]:
            ids = triage_tasks(circuit, request_ids)
            # The backlog's older triage tasks wait unclaimed: skipping them needs a reason.
            body = {"data": TRIAGE, "reason": "bench: triage of the measured requests"}
            return iter([("POST", f"/api/v1/tasks/{t}/complete", body) for t in ids])

        def created(bodies: list[Any]) -> list[int]:
            return [body["id"] for body in bodies if body and "id" in body]

        out, n, forever, secs = {}, args.n + WARMUP, float("inf"), args.seconds
        one = apis("citizen", 1) + apis("registry", 1)
        out["POST /requests"], made = drive(one[:1], submits(iter(range(n))), forever, WARMUP)
        out["POST /tasks/{id}/complete"], _ = drive(
            one[1:], completes(created(made)), forever, WARMUP
        )
        closed, answered = (
            sum(getattr(a, k) for a in one) for k in ("closed_by_server", "responses")
        )
        notes["keep-alive"] = (
            f"the server closed the connection after {closed} of {answered} responses"
        )
        out["POST /requests"]["note"] += "; target p50 <= 15"
        out["POST /tasks/{id}/complete"]["note"] += "; target p50 <= 10, p95 <= 20"
        many = iter(range(10**7, 2 * 10**7))
        out["4 threads: POST /requests"], made = drive(apis("citizen", 4), submits(many), secs)
        pool = created(made)  # topped up so that completing outlasts the 10 s
        pool += start_many(circuit, people["citizen"][0], 3 * len(pool) // 2)
        out["4 threads: POST /tasks/{id}/complete"], _ = drive(
            apis("registry", 4), completes(pool), secs
        )
        return out
    finally:
        stop_server(server)


# ---- report ------------------------------------------------------------------------------


def environment(circuit: Circuit) -> dict[str, Any]:
    with circuit.db.engine.connect() as conn:
        dialect = conn.dialect.name
        postgres = dialect == "postgresql"
        server = conn.scalar(text("SHOW server_version")) if postgres else sqlite3.sqlite_version
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "versions": f"Python {platform.python_version()}, SpiffWorkflow "
        f"{package_version('SpiffWorkflow')}, SQLAlchemy {package_version('SQLAlchemy')}",
        "database": f"{dialect} {server}, "
        + make_url(circuit.db.url).render_as_string(hide_password=True),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def report(results: dict[str, Any]) -> None:
    print(f"\nCircuit benchmark, {results['environment']['date']}")
    for key, value in list(results["environment"].items())[1:] + list(results["notes"].items()):
        if isinstance(value, str):
            print(f"  {key}: {value}")
    for section, figures in results["sections"].items():
        print(f"\n== {section} ==\n  {'':<44} {'n':>5} {'p50':>9} {'p95':>9}")
        for label, s in figures.items():
            print(f"  {label:<44} {s['n']:>5} {s['p50']:>9.2f} {s['p95']:>9.2f}  {s['note']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.split("\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    p.add_argument("--bench-db", default="circuit_bench", help="PostgreSQL database to recreate")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--inbox-rows", type=int, default=100_000)
    p.add_argument("--http", action="store_true")
    p.add_argument("--port", type=int, default=5077)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each concurrent run")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--profile", action="store_true", help="also print cProfile hot spots")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="circuit-bench-"))
    url = prepare_database(args.database_url, args.bench_db, tmp)
    circuit = build_circuit(url, tmp / "data")
    probe = Probe(circuit.db.engine)
    people = seed_people(circuit, str(int(time.time())))
    notes: dict[str, Any] = {}
    results = {"environment": environment(circuit), "notes": notes, "sections": {}}
    if args.inbox_rows:
        log(f"inserting a backlog of {args.inbox_rows} open petitions")
        applicants = [uid for who, (uid, _) in people.items() if who.startswith("applicant")]
        seconds = insert_backlog(circuit, args.inbox_rows, applicants)
        notes["backlog"] = f"{args.inbox_rows} open petitions, inserted before every "
        notes["backlog"] += (
            f"measurement below (COPY or executemany, then (VACUUM) ANALYZE): {seconds:.1f} s"
        )

    # As `circuit run`'s web and worker processes do once started (bare SpiffWorkflow, timed
    # in this process too, gains from it as much).
    heap.freeze_startup_objects()
    notes["heap"] = "what starting made is frozen out of the collector, as in `circuit run`"
    log("engine, then bare SpiffWorkflow")
    section = f"Engine, commit included, {WARMUP} warm-up runs excluded, ms"
    results["sections"][section] = bench_engine(circuit, people, probe, args.n, notes)
    if args.inbox_rows:
        log("inbox queries, request lists, the register")
        section = f"Reads, a fresh session each, ms; target p95 <= {TARGET_MS}"
        results["sections"][section] = bench_inbox(circuit, people, args.inbox_rows)
    if args.http:
        log(f"HTTP: `circuit run` on 127.0.0.1:{args.port}")
        section = "HTTP API via `circuit run` (gunicorn), client on 127.0.0.1, ms"
        results["sections"][section] = bench_http(circuit, url, args, people, notes)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    if args.profile:
        profile(circuit, people, probe, runs=args.n)
    circuit.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
