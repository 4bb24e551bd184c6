"""The running Circuit: settings, database, catalog and queue, built once per process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import BridgeDay, Department
from engine.platform import datadir, redisconn
from engine.platform.config import Settings
from engine.platform.db import Database
from engine.platform.dispatch import Dispatcher
from engine.platform.errors import DeploymentError
from engine.workflow import definitions
from engine.workflow.catalog import Catalog, Procedure, read_entries

# Departments and bridge days change a few times a year; other processes see a change
# within this many seconds.
REFERENCE_TTL = 60.0


@dataclass
class Circuit:
    """What engine functions need from their surroundings."""

    settings: Settings
    db: Database
    # The catalog in the designers' folders, as last read; what users see, and what
    # requests run on, comes from the database (procedures(), engine.workflow.versions).
    catalog: Catalog
    extras: dict[str, Any] = field(default_factory=dict)

    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        """Keep rarely changing reference data for REFERENCE_TTL seconds per process."""
        hit = self.extras.get(key)
        now = time.monotonic()
        if hit is None or now - hit[0] > REFERENCE_TTL:
            hit = (now, load())
            self.extras[key] = hit
        return hit[1]

    def calendar(self, session: Session) -> LegalCalendar:
        """Return the legal calendar with the bridge days an administrator added."""
        days = self._cached(
            "bridge_days", lambda: frozenset(session.scalars(select(BridgeDay.day)))
        )
        return LegalCalendar(extra_non_working=days)

    def departments(self, session: Session) -> list[tuple[str, str]]:
        """Return (code, name) of every department, by name."""
        query = select(Department.code, Department.name).order_by(Department.name)
        return self._cached(  # type: ignore[no-any-return]
            "departments", lambda: [(c, n) for c, n in session.execute(query)]
        )

    def redis(self) -> Redis:
        """Return the Redis client (the embedded server is started on first use)."""
        if "redis" not in self.extras:
            self.extras["redis"] = redisconn.connect(self.settings)
        return self.extras["redis"]  # type: ignore[no-any-return]

    @property
    def has_dispatcher(self) -> bool:
        return self.db.sessionmaker.kw.get("info", {}).get("dispatcher") is not None

    def use_rq(self) -> None:
        """Send jobs to RQ after each commit."""
        from engine.platform.rqueue import RQDispatcher

        self.set_dispatcher(RQDispatcher(self.redis()))

    def set_dispatcher(self, dispatcher: Dispatcher | None) -> None:
        """Choose how jobs are sent after commit (RQ, or in-process for tests)."""
        self.db.sessionmaker.configure(info={"dispatcher": dispatcher})

    def procedures(self, session: Session) -> Catalog:
        """Return the catalog of current versions, as deployed in the database."""
        from engine.workflow import versions

        return versions.current_catalog(session, self)

    def deploy_all(self) -> list[str]:
        """Deploy every procedure of the designers' folders and make that content current;
        procedures no longer in the folders leave the catalog. Return those withdrawn.

        Raises DeploymentError (a Romanian sentence naming the file); nothing is stored then."""
        settings = self.settings
        entries = read_entries(settings.processes_dir)
        with self.db.transaction() as session:
            for _, entry in entries:
                definitions.deploy(session, settings.bpmn_dir, settings.forms_dir, entry)
            withdrawn = definitions.withdraw_others(session, {raw["id"] for _, raw in entries})
        self.catalog = Catalog({raw["id"]: Procedure.from_dict(raw) for _, raw in entries})
        return withdrawn


_current: Circuit | None = None


def _folder_catalog(settings: Settings) -> Catalog:
    """Read the folders' catalog; a broken one is reported by `circuit db upgrade`."""
    try:
        return Catalog.load(settings.processes_dir)
    except DeploymentError:
        return Catalog({})


def build(settings: Settings) -> Circuit:
    """Create the Circuit for these settings and make it the process's current one."""
    global _current
    datadir.secure(settings.data_dir)  # an older folder, or files made under a loose umask
    circuit = Circuit(
        settings=settings,
        db=Database(settings.database_url),
        catalog=_folder_catalog(settings),
    )
    _current = circuit
    return circuit


def install(circuit: Circuit) -> None:
    """Make an existing Circuit the one jobs in this process use."""
    global _current
    _current = circuit


def registry_department() -> str:
    """Return the code of the department that keeps the register (CIRCUIT_REGISTRY_DEPARTMENT)."""
    return current().settings.registry_department


def current() -> Circuit:
    """Return the Circuit of this process, building it from the environment if needed."""
    if _current is None:
        from engine.platform.config import load_settings

        return build(load_settings())
    return _current
