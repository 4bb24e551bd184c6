"""The running Circuit: settings, database, catalog, Redis and dispatcher, built once per process.

It composes platform/ (settings, database, Redis, dispatch) with the reference data of the
domain (the legal calendar's bridge days, the departments) and the catalog of workflow/, so it
sits above them; the app and the worker are handed one, and engine functions take it (or just
the part they need) as a parameter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.deadlines import bridge_days
from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import Department
from engine.platform import datadir, redisconn
from engine.platform.config import Settings
from engine.platform.db import Database
from engine.platform.dispatch import Dispatcher
from engine.platform.errors import DeploymentError
from engine.workflow import versions
from engine.workflow.catalog import Catalog

# Departments and bridge days change a few times a year; other processes see a change
# within this many seconds.
REFERENCE_TTL = 60.0
T = TypeVar("T")


@dataclass
class ReferenceCache:
    """Rarely changing reference data, each value kept REFERENCE_TTL seconds per process."""

    bridge_days: tuple[float, frozenset[Any]] | None = None
    departments: tuple[float, list[tuple[str, str]]] | None = None

    @staticmethod
    def fresh(hit: tuple[float, Any] | None) -> bool:
        return hit is not None and time.monotonic() - hit[0] <= REFERENCE_TTL


@dataclass
class Circuit:
    """What engine functions need from their surroundings."""

    settings: Settings
    db: Database
    # The catalog in the designers' folders, as last read; what users see, and what
    # requests run on, comes from the database (procedures(), engine.workflow.versions).
    catalog: Catalog
    # The Redis client; connected on first use (the embedded server is started then).
    redis_client: Redis | None = None
    # How jobs asked for in a transaction are sent after its commit (RQ, or in-process).
    dispatcher: Dispatcher | None = None
    live_catalog: versions.LiveCatalog = field(default_factory=versions.LiveCatalog)
    reference: ReferenceCache = field(default_factory=ReferenceCache)

    def calendar(self, session: Session) -> LegalCalendar:
        """Return the legal calendar with the bridge days an administrator added."""
        if not ReferenceCache.fresh(self.reference.bridge_days):
            self.reference.bridge_days = (time.monotonic(), bridge_days.declared(session))
        assert self.reference.bridge_days is not None
        return LegalCalendar(extra_non_working=self.reference.bridge_days[1])

    def departments(self, session: Session) -> list[tuple[str, str]]:
        """Return (code, name) of every department, by name."""
        if not ReferenceCache.fresh(self.reference.departments):
            query = select(Department.code, Department.name).order_by(Department.name)
            rows = [(c, n) for c, n in session.execute(query)]
            self.reference.departments = (time.monotonic(), rows)
        assert self.reference.departments is not None
        return self.reference.departments[1]

    def redis(self) -> Redis:
        """Return the Redis client (the embedded server is started on first use)."""
        if self.redis_client is None:
            self.redis_client = redisconn.connect(self.settings)
        return self.redis_client

    @property
    def has_dispatcher(self) -> bool:
        return self.db.sessionmaker.kw.get("info", {}).get("dispatcher") is not None

    def set_dispatcher(self, dispatcher: Dispatcher | None) -> None:
        """Choose how jobs are sent after commit (RQ, or in-process for tests)."""
        self.dispatcher = dispatcher
        self.db.sessionmaker.configure(info={"dispatcher": dispatcher})

    def procedures(self, session: Session) -> Catalog:
        """Return the catalog of current versions, as deployed in the database."""
        return versions.current_catalog(session, self)

    def deploy_all(self) -> list[str]:
        """Deploy every procedure of the designers' folders and make that content current;
        procedures no longer in the folders leave the catalog. Return those withdrawn.

        Raises DiagramRefused or DeploymentError (Romanian, naming the file) at the first
        procedure refused; nothing is stored then. `circuit db upgrade` uses deploy_report."""
        with self.db.transaction() as session:
            report = versions.deploy_folders(session, self.settings, strict=True)
        self.catalog = Catalog.load(self.settings.processes_dir)
        return report.withdrawn

    def deploy_report(self) -> versions.DeployReport:
        """Deploy what can be deployed of the designers' folders; a procedure with errors
        keeps its current version. Return what was deployed, refused and withdrawn."""
        with self.db.transaction() as session:
            report = versions.deploy_folders(session, self.settings)
        try:
            self.catalog = Catalog.load(self.settings.processes_dir)
        except DeploymentError:
            pass  # the report says which entry is broken
        return report


_current: Circuit | None = None


def _folder_catalog(settings: Settings) -> Catalog:
    """Read the folders' catalog; a broken one is reported by `circuit db upgrade`."""
    try:
        return Catalog.load(settings.processes_dir)
    except DeploymentError:
        return Catalog({})


def build(settings: Settings) -> Circuit:
    """Create the Circuit for these settings and make it the process's current one."""
    datadir.secure(settings.data_dir)  # an older folder, or files made under a loose umask
    circuit = Circuit(
        settings=settings,
        db=Database(settings.database_url),
        catalog=_folder_catalog(settings),
    )
    install(circuit)
    return circuit


def install(circuit: Circuit) -> None:
    """Make an existing Circuit the one this process's RQ jobs (and the lookups below) use."""
    global _current
    _current = circuit


def registry_department() -> str:
    """Return the code of the department that keeps the register (CIRCUIT_REGISTRY_DEPARTMENT)."""
    return current().settings.registry_department


def current() -> Circuit:
    """Return the Circuit of this process, building it from the environment if needed.

    Looked up only above workflow/ and messages/: by what RQ starts with bare ids
    (engine.jobs), the personal-data vault (people.personal), the register's chain key file
    (register.key) and permissions (registry_department); everything else is handed its
    Circuit, or the part it needs."""
    if _current is None:
        from engine.platform.config import load_settings

        return build(load_settings())
    return _current
