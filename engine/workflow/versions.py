"""Deployed versions: deploying the folders with a report, the live catalog, and each
version's catalog entry and forms."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.models import Department, Instance, ProcedureRecord, ProcessVersion
from engine.platform.config import Settings
from engine.platform.db import Database
from engine.platform.errors import DeploymentError
from engine.workflow import forms
from engine.workflow.catalog import Catalog, Procedure
from engine.workflow.lint import DiagramRefused, Problem
from engine.workflow.lint import procedure as lint_procedure


@dataclass
class LiveCatalog:
    """The catalog of current versions last built, with the (procedure, version) pairs it is of
    (one tuple, replaced whole, so another thread never reads a key with the wrong catalog)."""

    last: tuple[frozenset[tuple[str, int]], Catalog] | None = None


class Circuit(Protocol):
    """What reading versions needs of the running Circuit (engine.circuit.Circuit has it)."""

    settings: Settings
    db: Database
    catalog: Catalog
    live_catalog: LiveCatalog


@dataclass(frozen=True)
class Bundle:
    """What a version holds besides its diagram: its catalog entry and its forms."""

    version_id: int
    procedure: Procedure | None
    forms: dict[str, Any] = field(default_factory=dict)


_bundles: dict[tuple[str, int], Bundle] = {}  # versions never change: kept for the process's life
_lock = threading.Lock()


def bundle(session: Session, circuit: Circuit, version_id: int) -> Bundle:
    """Return the catalog entry and forms a version was deployed with."""
    key = (circuit.db.url, version_id)  # ids are per database
    hit = _bundles.get(key)
    if hit is not None:
        return hit
    row = session.execute(
        select(ProcessVersion.procedure, ProcessVersion.catalog_entry, ProcessVersion.forms).where(
            ProcessVersion.id == version_id
        )
    ).first()
    if row is None:
        raise LookupError(f"process version {version_id} does not exist")
    procedure, entry, schemas = row
    if not entry:  # deployed before versions kept their files: the folders' files stand in
        return Bundle(version_id, circuit.catalog.get(procedure), {})
    found = Bundle(version_id, Procedure.from_dict(entry), dict(schemas or {}))
    with _lock:
        _bundles.setdefault(key, found)
    return _bundles[key]


def current_catalog(session: Session, circuit: Circuit) -> Catalog:
    """Return the catalog of current versions; a deployment by another process shows at once.

    The check is one read of the small `procedures` table; entries are cached by version."""
    rows = session.execute(
        select(ProcedureRecord.id, ProcedureRecord.current_version_id).where(
            ProcedureRecord.current_version_id.is_not(None)
        )
    ).all()
    key = frozenset((p, v) for p, v in rows if v is not None)  # the query leaves None out
    hit = circuit.live_catalog.last
    if hit is not None and hit[0] == key:
        return hit[1]
    procedures: dict[str, Procedure] = {}
    ids: dict[str, int] = {}
    for procedure_id, version_id in rows:
        if version_id is None:  # the query leaves these out
            continue
        proc = bundle(session, circuit, version_id).procedure
        if proc is not None:
            procedures[procedure_id] = proc
            ids[procedure_id] = version_id
    catalog = Catalog(procedures, ids)
    circuit.live_catalog.last = (key, catalog)
    return catalog


def form(
    session: Session, circuit: Circuit, filename: str, version_id: int | None
) -> dict[str, Any]:
    """Return a form as the version has it (the forms folder's for versions without it)."""
    if version_id is not None:
        schema = bundle(session, circuit, version_id).forms.get(filename)
        if schema is not None:
            return cast(dict[str, Any], schema)
    return forms.load_form(circuit.settings.forms_dir, filename)


def instance_version(session: Session, instance_id: int) -> int | None:
    """Return the version an instance runs on."""
    return session.scalar(select(Instance.process_version_id).where(Instance.id == instance_id))


def instance_versions(session: Session, instance_ids: list[int]) -> dict[int, int]:
    """Return the version of each of these instances, in one query."""
    if not instance_ids:
        return {}
    rows = session.execute(
        select(Instance.id, Instance.process_version_id).where(Instance.id.in_(set(instance_ids)))
    )
    return {instance_id: version_id for instance_id, version_id in rows}


def request_version(session: Session, request_id: int) -> int | None:
    """Return the version a request runs on."""
    return session.scalar(
        select(Instance.process_version_id).where(Instance.request_id == request_id)
    )


def procedure_of(
    session: Session, circuit: Circuit, version_id: int | None, procedure_id: str
) -> Procedure | None:
    """Return the catalog entry of a version (the current one if the version has none)."""
    if version_id is not None:
        proc = bundle(session, circuit, version_id).procedure
        if proc is not None:
            return proc
    return current_catalog(session, circuit).get(procedure_id)


def request_procedure(
    session: Session, circuit: Circuit, procedure_id: str, request_id: int
) -> Procedure | None:
    """Return the catalog entry a request was started with."""
    return procedure_of(session, circuit, request_version(session, request_id), procedure_id)


# --- deploying the designers' folders, with a report of what changed --------------------


@dataclass(frozen=True)
class Deployed:
    """A procedure deployed: its version (the n-th of the procedure) and what changed."""

    procedure: str
    file: str
    version_id: int
    number: int
    state: str  # "new": new content; "again": an earlier content current again; "same"
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    """A procedure not deployed: its problems; the version that stays current, if any."""

    procedure: str
    file: str
    problems: tuple[Problem, ...]
    current_number: int | None = None


@dataclass
class DeployReport:
    """What deploying the folders did."""

    deployed: list[Deployed] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    withdrawal_skipped: bool = False  # an unreadable entry: nothing is taken out of the catalog
    departments_checked: bool = False


def known_departments(session: Session) -> frozenset[str] | None:
    """Return the department codes of the database (None when there are none yet)."""
    codes = frozenset(session.scalars(select(Department.code)))
    return codes or None


def deploy_folders(session: Session, settings: Settings, *, strict: bool = False) -> DeployReport:
    """Deploy every procedure of the designers' folders; return what was done.

    A procedure with errors is refused and keeps its current version; the others are
    deployed all the same (each in a savepoint), since procedures do not share state.
    With `strict`, the first refusal raises (DiagramRefused or DeploymentError) instead."""
    from engine.workflow import definitions  # definitions parses diagrams: import it late

    report = DeployReport()
    _lock_deployments(session)
    departments = known_departments(session)
    report.departments_checked = departments is not None
    registry = settings.registry_department
    folder = settings.processes_dir
    if not folder.is_dir():
        raise DeploymentError(f"Dosarul catalogului „{folder}” nu există.")
    seen: dict[str, str] = {}
    keep: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        entry = lint_procedure.read_entry(path, settings.bpmn_dir, settings.forms_dir)
        raw = entry.raw
        if raw is not None and isinstance(raw.get("id"), str) and raw["id"]:
            keep.add(raw["id"])
            if raw["id"] in seen:
                entry.problems.append(
                    Problem(
                        str(path),
                        "id",
                        str(raw.get("title", "")),
                        f"Are același identificator „{raw['id']}” ca „{seen[raw['id']]}”.",
                        "Dați fiecărei proceduri un „id” unic.",
                    )
                )
            seen.setdefault(raw["id"], path.name)
        else:
            report.withdrawal_skipped = True
        if entry.problems or raw is None:
            if strict:
                whats = " ".join(p.what for p in entry.problems)
                raise DeploymentError(f"Intrarea din catalog „{path.name}”: {whats}")
            report.refused.append(
                Refused(entry.id, path.name, tuple(entry.problems), _number(session, entry.id))
            )
            continue
        report_one(session, settings, raw, path.name, departments, registry, report, strict)
    if not report.withdrawal_skipped:
        report.withdrawn = definitions.withdraw_others(session, keep)
    return report


# PostgreSQL's transaction-scoped advisory lock that serialises deployments: two nodes
# starting at once would otherwise both insert the same new version.
DEPLOY_LOCK_KEY = 0x4445504C  # "DEPL"


def _lock_deployments(session: Session) -> None:
    """Hold the deployment lock until commit (SQLite's write transaction already does)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DEPLOY_LOCK_KEY})


def report_one(
    session: Session,
    settings: Settings,
    raw: dict[str, Any],
    file: str,
    departments: frozenset[str] | None,
    registry: str,
    report: DeployReport,
    strict: bool,
) -> None:
    """Deploy one catalog entry in a savepoint and note the outcome in the report."""
    from engine.workflow import definitions

    procedure = str(raw["id"])
    before = _current_row(session, procedure)
    newest = session.scalar(select(func.max(ProcessVersion.id))) or 0
    warnings: list[Problem] = []
    savepoint = session.begin_nested()
    try:
        version = definitions.deploy(
            session,
            settings.bpmn_dir,
            settings.forms_dir,
            raw,
            departments=departments,
            registry=registry,
            catalog_file=file,
            warnings=warnings,
        )
    except (DiagramRefused, DeploymentError) as exc:
        savepoint.rollback()
        if strict:
            raise
        problems = (
            tuple(exc.problems)
            if isinstance(exc, DiagramRefused)
            else (
                Problem(file, "-", str(raw.get("title", "")), exc.message, "Corectați fișierul."),
            )
        )
        report.refused.append(Refused(procedure, file, problems, _number(session, procedure)))
        return
    savepoint.commit()
    report.warnings += warnings
    if before is not None and before.id == version.id:
        state = "same"
    elif version.id > newest:
        state = "new"
    else:
        state = "again"
    changes = tuple(_changes(before, version)) if state != "same" else ()
    number = _number(session, procedure, version.id) or 1
    report.deployed.append(Deployed(procedure, file, version.id, number, state, changes))


def _current_row(session: Session, procedure: str) -> ProcessVersion | None:
    row = session.get(ProcedureRecord, procedure)
    if row is None or row.current_version_id is None:
        return None
    return session.get(ProcessVersion, row.current_version_id)


def _number(session: Session, procedure: str, version_id: int | None = None) -> int | None:
    """Return the rank of a version among its procedure's (the current one by default)."""
    if version_id is None:
        current = _current_row(session, procedure)
        if current is None:
            return None
        version_id = current.id
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProcessVersion)
            .where(ProcessVersion.procedure == procedure, ProcessVersion.id <= version_id)
        )
        or 0
    )


def _changes(before: ProcessVersion | None, after: ProcessVersion) -> list[str]:
    """Say in words what differs between the current version and the one deployed."""
    if before is None:
        return ["procedură nouă"]
    out = []
    if before.source != after.source or before.filename != after.filename:
        out.append(f"diagrama {after.filename}")
    if (before.called_sources or {}) != (after.called_sources or {}):
        out.append("diagramele chemate")
    old, new = before.forms or {}, after.forms or {}
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append(f"formular nou {name}")
        elif name not in new:
            out.append(f"formular scos {name}")
        elif old[name] != new[name]:
            out.append(f"formularul {name}")
    old_entry, new_entry = before.catalog_entry or {}, after.catalog_entry or {}
    keys = sorted(
        k for k in set(old_entry) | set(new_entry) if old_entry.get(k) != new_entry.get(k)
    )
    if keys:
        out.append("catalogul: " + ", ".join(keys))
    return out or ["conținutul versiunii"]
