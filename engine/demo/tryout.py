"""A dry run of a procedure: a scenario (YAML) played in a throwaway database.

The procedure comes from the designers' folders (the settings' bpmn/, forms/, processes/),
is deployed like `circuit db upgrade` deploys it into a temporary SQLite database, and the
scenario's steps go through the engine's own operations (start_request, complete_task,
reply, fire_timer): what the dry run accepts, production accepts. Jobs are not sent (no
e-mail goes out; the notifications are read from the database), no throttle applies, and the
clock is moved for the timers by shifting the engine's and SpiffWorkflow's `now`.

A scenario:

    procedure: petitie           # optional when the command names it
    citizen: {cnp: "1900101..."} # optional: the applicant's account
    start: {subiect: ..., continut: ...}
    files: [act_identitate]      # attachments of the start form (or field: path)
    steps:
      - task: Repartizare petiție     # a READY task, by id or name
        by: official                  # official (default) or head; `department` to choose
        data: {decizie_triere: repartizare, departament: urbanism}
      - reply: {text: ...}            # the citizen answers what is asked
      - wait: 20 working days         # or `30 zile`, `20 zile lucrătoare`; `advance: P25D`
      - expect: {status: completed, task: ..., variables: {x: 1}}
    expect: {status: completed}       # checked at the end
"""

from __future__ import annotations

import contextlib
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import applicant, documents, officials, operations, timers
from engine.circuit import Circuit
from engine.demo.cityhall import DEPARTMENTS, needed_departments
from engine.models import Instance, Notification, Request, TaskRecord, TaskState, User
from engine.people import accounts, organisation
from engine.platform import timeutil
from engine.platform.config import Settings
from engine.platform.db import Database
from engine.platform.dispatch import PendingJob
from engine.platform.errors import CircuitError, DeploymentError, Invalid, ProcessFailure
from engine.platform.migrate import upgrade
from engine.workflow import definitions
from engine.workflow.catalog import Catalog
from engine.workflow.lint import DiagramRefused
from engine.workflow.spifftasks import APPLICANT_LANE

CITIZEN_EMAIL = "cetatean@proba.circuit"
STATUS_RO = officials.STATUS_WORDS
HIDDEN = ("petent",)
# The file every field named in `files:` receives: a valid one-page PDF.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)  # personal data of the test account, the same at every step


class ScenarioError(Exception):
    """The scenario cannot be followed; the message says why, in Romanian."""


@dataclass
class Outcome:
    """What a dry run did: the lines it printed, the end status, the last variables."""

    lines: list[str] = field(default_factory=list)
    status: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    notifications: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the clock


class _Clock:
    """An offset added to `now` for the engine (timeutil) and SpiffWorkflow's timers."""

    def __init__(self) -> None:
        self.offset = timedelta()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

        clock = self
        real_engine, real_spiff = timeutil.datetime, spiff_timer.datetime

        class Shifted(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + clock.offset

        timeutil.datetime = Shifted  # type: ignore[misc]
        spiff_timer.datetime = Shifted
        try:
            yield
        finally:
            timeutil.datetime = real_engine  # type: ignore[misc]
            spiff_timer.datetime = real_spiff


_ISO = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)
_WAIT = re.compile(
    r"^(?P<n>\d+)\s*(?P<unit>working days?|zile lucrătoare|zi lucrătoare|days?|zile|zi|"
    r"hours?|ore|oră|minutes?|minute)$",
    re.IGNORECASE,
)


def clock_move(text: Any, calendar: Any, now: datetime) -> timedelta:
    """Return how far `wait`/`advance` moves the clock: an ISO 8601 duration (P25D, PT2H),
    or `N days`, `N working days` (by the legal calendar), `N zile`, `N zile lucrătoare`."""
    value = str(text).strip()
    iso = _ISO.match(value.upper())
    if iso and any(iso.groupdict().values()):
        g = {k: int(v or 0) for k, v in iso.groupdict().items()}
        return timedelta(weeks=g["w"], days=g["d"], hours=g["h"], minutes=g["m"], seconds=g["s"])
    plain = _WAIT.match(value)
    if not plain:
        raise ScenarioError(
            f"Nu înțeleg durata „{value}”: scrieți de exemplu „P25D”, „30 zile”, "
            "„20 zile lucrătoare” sau „2 ore”."
        )
    n, unit = int(plain["n"]), plain["unit"].lower()
    if "lucr" in unit or "working" in unit:
        local = now.astimezone(timeutil.BUCHAREST)
        day = calendar.add_working_days(local.date(), n)
        return timedelta(days=(day - local.date()).days)
    if unit.startswith(("hour", "or")):
        return timedelta(hours=n)
    if unit.startswith("minut"):
        return timedelta(minutes=n)
    return timedelta(days=n)


# ---------------------------------------------------------------- the throwaway city hall


def _people(session: Session, circuit: Circuit, citizen: dict[str, Any]) -> None:
    """Departments the procedures need, an official and a head in each, and the citizen."""
    registry = circuit.settings.registry_department
    for code, name in DEPARTMENTS.items():
        organisation.ensure_department(session, code if code != "registratura" else registry, name)
    for code in sorted(needed_departments(session, circuit)):
        organisation.ensure_department(session, code, code.replace("_", " ").capitalize())
    codes = [c for c, _ in circuit.departments(session)]
    for code in codes:
        slug = code.replace("_", "-")
        for who, heads in (("functionar", []), ("sef", [code])):
            accounts.create_user(
                session,
                f"{who}.{slug}@proba.circuit",
                f"{'Șef' if heads else 'Funcționar'} {code}",
                secrets.token_urlsafe(16),
                departments=[code],
                heads=heads,
            )
    accounts.create_user(
        session,
        CITIZEN_EMAIL,
        str(citizen.get("name") or "Ion Popescu"),
        secrets.token_urlsafe(16),
        cnp=citizen.get("cnp"),
    )


@contextlib.contextmanager
def throwaway(settings: Settings) -> Iterator[Circuit]:
    """A Circuit on a temporary SQLite database with the folders of `settings` deployed."""
    with tempfile.TemporaryDirectory(prefix="circuit-proba-") as tmp:
        data = Path(tmp)
        local = replace(
            settings,
            data_dir=data,
            database_url=f"sqlite:///{data / 'proba.db'}",
            redis_url=None,
            smtp_host=None,
            register_key_file=data / "register.key",
        )
        circuit = Circuit(settings=local, db=Database(local.database_url), catalog=Catalog({}))
        sent: list[PendingJob] = []
        circuit.set_dispatcher(sent.extend)  # nothing is mailed; timers fire on the clock
        try:
            upgrade(circuit.db)
            try:
                circuit.deploy_all()
            except DiagramRefused as exc:
                raise ScenarioError(
                    "Procedurile din dosare nu pot fi instalate; de corectat:\n"
                    + "\n".join(p.line() for p in exc.problems)
                ) from exc
            except DeploymentError as exc:
                raise ScenarioError(f"Procedurile nu pot fi instalate: {exc.message}") from exc
            yield circuit
        finally:
            circuit.db.engine.dispose()


# ---------------------------------------------------------------- the run


def load_scenario(path: Path) -> dict[str, Any]:
    """Read a scenario file; ScenarioError when it is not a YAML mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"Fișierul scenariului „{path}” nu poate fi citit.") from exc
    try:
        scenario = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (rândul {mark.line + 1})" if mark is not None else ""
        raise ScenarioError(f"Scenariul „{path.name}” nu este YAML valid{where}.") from exc
    if not isinstance(scenario, dict):
        raise ScenarioError(f"Scenariul „{path.name}” trebuie să fie o listă de chei (YAML).")
    return scenario


def _invalid_text(exc: Invalid) -> str:
    parts = [f"{e.get('field') or '/'}: {e.get('message')}" for e in exc.errors]
    return exc.message + (" " + "; ".join(parts) if parts else "")


def _failure_text(exc: CircuitError) -> str:
    if isinstance(exc, Invalid):
        return _invalid_text(exc)
    text = exc.message
    element = exc.extra.get("element")
    if element:
        text += f" (elementul „{element}”)"
    cause = exc.__cause__
    if isinstance(exc, ProcessFailure) and cause is not None:
        text += f"\n  Detaliu tehnic: {type(cause).__name__}: {cause}"
    return text


class _Run:
    def __init__(self, circuit: Circuit, clock: _Clock, say: Callable[[str], None]) -> None:
        self.circuit, self.clock, self.say = circuit, clock, say
        self.request_id: int | None = None
        self.seen_notes = 0
        self.variables: dict[str, Any] = {}
        self.outcome = Outcome()

    # what the request looks like now
    def _ready(self, session: Session) -> list[TaskRecord]:
        return list(
            session.scalars(
                select(TaskRecord)
                .where(
                    TaskRecord.request_id == self.request_id,
                    TaskRecord.state == TaskState.READY,
                )
                .order_by(TaskRecord.created_at, TaskRecord.id)
            )
        )

    def _workflow_data(self, session: Session) -> dict[str, Any]:
        row = session.scalar(select(Instance).where(Instance.request_id == self.request_id))
        if row is None:
            return {}
        workflow = definitions.load_workflow(
            row.state, definitions.definition(session, row.process_version_id)
        )
        data: dict[str, Any] = {}
        live = SpiffState.COMPLETED | SpiffState.READY | SpiffState.WAITING | SpiffState.STARTED
        tasks = sorted(workflow.get_tasks(state=live), key=lambda t: t.last_state_change)
        for task in tasks:  # the newest data of any task, as the next condition sees it
            data.update(task.data)
        data.update(workflow.data)
        for key in HIDDEN:
            data.pop(key, None)
        return data

    def report(self) -> None:
        """Print the variables that changed, the notifications sent, the tasks now open."""
        with self.circuit.db.session() as s:
            request = s.get(Request, self.request_id)
            assert request is not None
            now = self._workflow_data(s)
            for key in sorted(now):
                if key not in self.variables or self.variables[key] != now[key]:
                    self.say(f"    variabila {key} = {now[key]!r}")
            for key in sorted(set(self.variables) - set(now)):
                self.say(f"    variabila {key} a dispărut")
            self.variables = now
            notes = list(
                s.scalars(
                    select(Notification)
                    .where(Notification.request_id == self.request_id)
                    .order_by(Notification.id)
                )
            )
            for note in notes[self.seen_notes :]:
                to = f"compartimentul {note.department}"
                if note.user_id is not None:
                    user = s.get(User, note.user_id)
                    to = (
                        "petent"
                        if user and user.email == CITIZEN_EMAIL
                        else str(user and user.name)
                    )
                self.say(f"    notificare către {to}: {note.message}")
                self.outcome.notifications.append(note.message)
            self.seen_notes = len(notes)
            ready = self._ready(s)
            status = request.status.value
            self.outcome.status, self.outcome.variables = status, dict(now)
            self.outcome.tasks = [r.name for r in ready]
            waits = ", ".join(
                f"„{r.name}” ({'petent' if r.department == APPLICANT_LANE else r.department})"
                for r in ready
            )
            self.say(
                f"    stare: {STATUS_RO.get(status, status)} ({status})"
                + (f"; așteaptă: {waits}" if waits else "")
            )

    # the steps
    def start(self, procedure: str, data: Any, uploads: list[documents.Upload]) -> None:
        with self.circuit.db.transaction() as s:
            user = s.scalar(select(User).where(User.email == CITIZEN_EMAIL))
            request, _ = operations.start_request(
                s, self.circuit, user, procedure, data or {}, uploads
            )
            self.request_id = request.id
            number = request.registration_display
        self.say(f"Cererea nr. {number} a fost depusă (procedura „{procedure}”).")
        self.report()

    def complete(self, step: dict[str, Any]) -> None:
        wanted = str(step["task"])
        with self.circuit.db.session() as s:
            ready = self._ready(s)
            row = next((r for r in ready if wanted in (r.bpmn_id, r.name)), None)
            if row is None:
                open_now = ", ".join(f"„{r.name}” ({r.bpmn_id})" for r in ready) or "niciuna"
                raise ScenarioError(
                    f"Sarcina „{wanted}” nu așteaptă acum; sarcinile deschise: {open_now}."
                )
            if row.department == APPLICANT_LANE:
                raise ScenarioError(
                    f"Sarcina „{row.name}” este a petentului: scrieți „reply:” cu datele ei."
                )
            task_id, name, department, role = row.id, row.name, row.department, row.role
        by = str(step.get("by") or ("head" if role == "head" else "official")).lower()
        head = by in ("head", "sef", "șef")
        dept = str(step.get("department") or department)
        email = f"{'sef' if head else 'functionar'}.{dept.replace('_', '-')}@proba.circuit"
        with self.circuit.db.transaction() as s:
            user = s.scalar(select(User).where(User.email == email))
            if user is None:
                raise ScenarioError(f"Compartimentul „{dept}” nu există.")
            operations.complete_task(
                s, self.circuit, user, task_id, step.get("data") or {}, step.get("reason")
            )
        who = "șeful" if head else "un funcționar"
        self.say(f"Pasul „{name}” a fost finalizat de {who} din compartimentul {dept}.")
        self.report()

    def reply(self, data: Any) -> None:
        with self.circuit.db.transaction() as s:
            user = s.scalar(select(User).where(User.email == CITIZEN_EMAIL))
            assert user is not None and self.request_id is not None
            if isinstance(data, str):
                applicant.reply(s, self.circuit, user, self.request_id, text=data)
            else:
                applicant.reply(s, self.circuit, user, self.request_id, data or {})
        self.say("Petentul a răspuns.")
        self.report()

    def wait(self, text: Any) -> None:
        with self.circuit.db.session() as s:
            move = clock_move(text, self.circuit.calendar(s), timeutil.utcnow())
        self.clock.offset += move
        now = timeutil.utcnow().astimezone(timeutil.BUCHAREST)
        self.say(f"Ceasul a fost mutat cu „{text}”: acum este {now:%d.%m.%Y %H:%M}.")
        fired = 0
        for _ in range(100):  # a timer may set another that is due already
            with self.circuit.db.session() as s:
                due = [t.task_id for t in timers.due_timers(s)]
                names = {t.task_id: t.name for t in timers.due_timers(s)}
            done = 0
            for task_id in due:
                with self.circuit.db.transaction() as s:
                    if timers.fire_timer(s, self.circuit, task_id):
                        done += 1
                        self.say(f"  S-a declanșat termenul „{names.get(task_id) or task_id}”.")
            fired += done
            if not done:
                break
        if not fired:
            self.say("  Niciun termen nu a expirat.")
        self.report()

    def expect(self, wanted: Any) -> None:
        if not isinstance(wanted, dict):
            raise ScenarioError("„expect” trebuie să aibă chei: status, task, variables.")
        problems = []
        status = wanted.get("status")
        if status is not None and status != self.outcome.status:
            problems.append(f"starea este „{self.outcome.status}”, nu „{status}”")
        task = wanted.get("task")
        if task is not None:
            with self.circuit.db.session() as s:
                open_now = [(r.bpmn_id, r.name) for r in self._ready(s)]
            if not any(task in pair for pair in open_now):
                names = ", ".join(n for _, n in open_now) or "niciuna"
                problems.append(f"sarcina „{task}” nu așteaptă (așteaptă: {names})")
        for key, value in (wanted.get("variables") or {}).items():
            if key not in self.variables:
                problems.append(f"variabila {key} nu este setată")
            elif self.variables[key] != value:
                problems.append(f"variabila {key} = {self.variables[key]!r}, nu {value!r}")
        for text in [wanted["notification"]] if wanted.get("notification") else []:
            if not any(text in n for n in self.outcome.notifications):
                problems.append(f"nicio notificare nu conține „{text}”")
        if problems:
            raise ScenarioError("Așteptare neîndeplinită: " + "; ".join(problems) + ".")
        self.say("Verificat: " + ", ".join(sorted(wanted)) + ".")


STEP_KINDS = ("task", "reply", "wait", "advance", "expect")


def uploads(files: Any, base: Path | None) -> list[documents.Upload]:
    """The start form's files: a list of fields (each gets a one-page PDF) or a mapping of
    field to a file's path (relative to the scenario's folder)."""
    if not files:
        return []
    if isinstance(files, list):
        return [documents.Upload(str(f), f"{f}.pdf", SAMPLE_PDF) for f in files]
    if not isinstance(files, dict):
        raise ScenarioError("„files” este o listă de câmpuri sau câmp: cale către fișier.")
    out = []
    for name, where in files.items():
        path = (base or Path.cwd()) / str(where)
        try:
            out.append(documents.Upload(str(name), path.name, path.read_bytes()))
        except OSError as exc:
            raise ScenarioError(
                f"Fișierul „{where}” al câmpului {name} nu poate fi citit."
            ) from exc
    return out


def play(
    settings: Settings,
    scenario: dict[str, Any],
    procedure: str | None = None,
    say: Callable[[str], None] = print,
    base: Path | None = None,
) -> Outcome:
    """Play a scenario in a throwaway database; ScenarioError where it cannot be followed.

    Every line is handed to `say` as it happens and kept in the outcome."""
    procedure = procedure or scenario.get("procedure")
    if not procedure:
        raise ScenarioError("Scenariul nu numește procedura („procedure:”).")
    steps = scenario.get("steps") or []
    if not isinstance(steps, list):
        raise ScenarioError("„steps” trebuie să fie o listă de pași.")
    outcome_lines: list[str] = []

    def tell(line: str) -> None:
        outcome_lines.append(line)
        say(line)

    clock = _Clock()
    with clock.installed(), throwaway(settings) as circuit:
        if procedure not in {p.id for p in circuit.catalog.all()}:
            known = ", ".join(sorted(p.id for p in circuit.catalog.all()))
            raise ScenarioError(f"Procedura „{procedure}” nu există în catalog ({known}).")
        with circuit.db.transaction() as s:
            citizen = scenario.get("citizen") or {}
            _people(s, circuit, citizen if isinstance(citizen, dict) else {})
        run = _Run(circuit, clock, tell)
        index = 0
        try:
            run.start(procedure, scenario.get("start"), uploads(scenario.get("files"), base))
            for index, step in enumerate(steps, start=1):
                kind = next((k for k in STEP_KINDS if isinstance(step, dict) and k in step), None)
                if kind is None:
                    raise ScenarioError(
                        f"Pasul {index} nu spune ce se face: folosiți una dintre cheile "
                        + ", ".join(STEP_KINDS)
                        + "."
                    )
                if kind == "task":
                    run.complete(step)
                elif kind == "reply":
                    run.reply(step["reply"])
                elif kind in ("wait", "advance"):
                    run.wait(step[kind])
                if kind == "expect" or (kind != "expect" and "expect" in step):
                    run.expect(step["expect"])
            if scenario.get("expect"):
                index = 0
                run.expect(scenario["expect"])
        except CircuitError as exc:
            where = (
                f"Pasul {index} a fost refuzat" if index else "Depunerea cererii a fost refuzată"
            )
            raise ScenarioError(f"{where}: {_failure_text(exc)}") from exc
        except ScenarioError as exc:
            where = f"Pasul {index}: " if index else ""
            raise ScenarioError(where + str(exc)) from exc
        status = run.outcome.status or ""
        tell(f"Starea finală: {STATUS_RO.get(status, status)} ({status}).")
    run.outcome.lines = outcome_lines
    return run.outcome
