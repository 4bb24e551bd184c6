"""Reading deployed versions: the live catalog, and each version's catalog entry and forms."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Instance, ProcedureRecord, ProcessVersion
from engine.platform.config import Settings
from engine.platform.db import Database
from engine.workflow import forms
from engine.workflow.catalog import Catalog, Procedure


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
    key = frozenset((p, v) for p, v in rows)
    hit = circuit.live_catalog.last
    if hit is not None and hit[0] == key:
        return hit[1]
    procedures: dict[str, Procedure] = {}
    ids: dict[str, int] = {}
    for procedure_id, version_id in rows:
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
            return schema  # type: ignore[no-any-return]
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
