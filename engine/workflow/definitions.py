"""Process definitions: versions of procedures (diagram, called diagrams, forms, catalog
entry) identified by content hash, deployed from the designers' folders, parsed once."""

from __future__ import annotations

import hashlib
import json
import threading
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import ProcedureRecord, ProcessVersion
from engine.platform.errors import DeploymentError
from engine.platform.timeutil import utcnow
from engine.workflow import forms, lint, loops
from engine.workflow.spifftasks import APPLICANT_LANE, department_code


@dataclass(frozen=True)
class ParsedDefinition:
    """The specs of one process version, shared by every instance on that version."""

    version_id: int
    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    max_instances: int = loops.MAX_INSTANCES  # the catalog entry's bound on loops


class _LeanWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow: no types
    """Serialize a workflow without its spec: the spec lives once, in process_versions."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        # As BpmnWorkflowConverter.from_dict, with the version's specs instead of restored ones.
        definition: ParsedDefinition = dct.pop("definition")
        workflow = self.target_class(
            definition.spec, definition.subprocess_specs, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = deepcopy(SPIFF_CONFIG)
    config[BpmnWorkflow] = _LeanWorkflowConverter
    return BpmnWorkflowSerializer(registry=BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()
_cache: dict[tuple[str, int], ParsedDefinition] = {}
_cache_lock = threading.Lock()


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def content_hash(source: bytes) -> str:
    """Return the SHA-256 of some bytes."""
    return hashlib.sha256(source).hexdigest()


def parse_bpmn(
    source: bytes,
    process_id: str,
    filename: str = "diagram.bpmn",
    called: dict[str, bytes] | None = None,
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Parse BPMN bytes (and the files its call activities need) into the process specs."""
    parser = SpiffBpmnParser()  # Camunda's extension properties are read as Circuit's
    parser.add_bpmn_xml(lint.to_spiff(etree.fromstring(source)), filename=filename)
    for name, other in (called or {}).items():
        parser.add_bpmn_xml(lint.to_spiff(etree.fromstring(other)), filename=name)
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def _xml(source: bytes, filename: str) -> Any:
    try:
        return etree.fromstring(source)
    except etree.XMLSyntaxError as exc:
        raise DeploymentError(
            f"Diagrama „{filename}” nu este un fișier BPMN valid ({exc})."
        ) from None


def _defined_and_called(root: Any) -> tuple[set[str], set[str]]:
    """Return the process ids a BPMN document defines and those its call activities name."""
    defined = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}process")}
    called = {el.get("calledElement") for el in root.iter(f"{{{BPMN_NS}}}callActivity")}
    return defined, {c for c in called if c}


def _called_files(bpmn_dir: Path, filename: str, root: Any) -> dict[str, bytes]:
    """Return the other files of the diagrams folder that define the processes called."""
    defined, wanted = _defined_and_called(root)
    missing = wanted - defined
    if not missing:
        return {}
    index: dict[str, tuple[str, bytes, Any]] = {}
    for path in sorted(bpmn_dir.glob("*.bpmn")):
        if path.name == filename:
            continue
        other = path.read_bytes()
        other_root = _xml(other, path.name)
        for pid in _defined_and_called(other_root)[0]:
            index.setdefault(pid, (path.name, other, other_root))
    files: dict[str, bytes] = {}
    while missing:
        pid = missing.pop()
        if pid in defined:
            continue
        if pid not in index:
            raise DeploymentError(
                f"Diagrama „{filename}” cheamă procesul „{pid}”, care nu se află în niciun "
                f"fișier din dosarul diagramelor."
            )
        name, other, other_root = index[pid]
        if name not in files:
            files[name] = other
            more_defined, more_called = _defined_and_called(other_root)
            defined |= more_defined
            missing |= more_called - defined
    return files


def _form_names(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> set[str]:
    """Return the forms the user tasks of a process and of the processes it calls name."""
    names = set()
    for process in [spec, *(s for s in subprocess_specs.values() if s is not None)]:
        for task_spec in process.task_specs.values():
            props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            if props.get("formJsonSchemaFilename"):
                names.add(props["formJsonSchemaFilename"])
    return names


def _read_forms(forms_dir: Path, names: set[str], procedure: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name in sorted(names):
        try:
            schemas[name] = forms.load_form(forms_dir, name)
        except FileNotFoundError:
            raise DeploymentError(
                f"Formularul „{name}”, folosit de procedura „{procedure}”, nu există în "
                f"dosarul formularelor."
            ) from None
        except (ValueError, SchemaError) as exc:
            reason = exc.message if isinstance(exc, SchemaError) else str(exc)
            raise DeploymentError(
                f"Formularul „{name}” nu este o schemă JSON validă ({reason})."
            ) from None
    return schemas


def version_hash(
    entry: dict[str, Any],
    filename: str,
    source: bytes,
    called: dict[str, bytes],
    schemas: dict[str, Any],
) -> str:
    """Return the identity of a version: its diagram, called diagrams, forms, catalog entry."""
    content = {
        "catalog": entry,
        "diagram": [filename, content_hash(source)],
        "called": {name: content_hash(data) for name, data in called.items()},
        "forms": schemas,
    }
    return content_hash(json.dumps(content, sort_keys=True, ensure_ascii=False).encode())


def deploy(
    session: Session,
    bpmn_dir: Path,
    forms_dir: Path,
    entry: dict[str, Any],
    *,
    departments: frozenset[str] | None = None,
    registry: str = "registratura",
    catalog_file: str | None = None,
    warnings: list[lint.Problem] | None = None,
) -> ProcessVersion:
    """Deploy a catalog entry with its diagram and forms and make it the procedure's current
    version (an earlier content found again becomes current again); return the version.

    The linter runs first, as `circuit bpmn check` does: any error raises DiagramRefused
    (lanes are checked against `departments` when given)."""
    filename, process_id, procedure = entry["bpmn"], entry["process_id"], entry["id"]
    path = bpmn_dir / filename
    if path.resolve().parent != bpmn_dir.resolve() or not path.is_file():
        raise DeploymentError(
            f"Diagrama „{filename}” a procedurii „{procedure}” nu există în dosarul diagramelor."
        )
    source = path.read_bytes()
    said = lint.ensure_procedure(
        entry,
        bpmn_dir,
        forms_dir,
        departments=departments,
        registry=registry,
        catalog_file=catalog_file,
    )
    if warnings is not None:
        warnings.extend(said)

    root = _xml(source, filename)
    if process_id not in _defined_and_called(root)[0]:
        raise DeploymentError(
            f"Diagrama „{filename}” nu conține procesul „{process_id}” cerut de procedura "
            f"„{procedure}”."
        )
    called = _called_files(bpmn_dir, filename, root)
    try:
        spec, subprocess_specs = parse_bpmn(source, process_id, filename, called)
    except SpiffWorkflowException as exc:
        reason = " ".join(str(exc).split()).rstrip(". ")
        raise DeploymentError(f"Diagrama „{filename}” nu poate fi rulată: {reason}.") from None
    schemas = _read_forms(
        forms_dir, _form_names(spec, subprocess_specs) | {entry["start_form"]}, procedure
    )
    digest = version_hash(entry, filename, source, called, schemas)
    version = session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.procedure == procedure,
            ProcessVersion.process_id == process_id,
            ProcessVersion.content_hash == digest,
        )
    )
    if version is None:
        version = ProcessVersion(
            procedure=procedure,
            process_id=process_id,
            content_hash=digest,
            filename=filename,
            source=source,
            called_sources={name: data.decode("utf-8") for name, data in called.items()},
            catalog_entry=entry,
            forms=schemas,
            created_at=utcnow(),
        )
        session.add(version)
        session.flush()
    make_current(session, procedure, version.id)
    return version


def make_current(session: Session, procedure: str, version_id: int | None) -> bool:
    """Make a version the current one of its procedure (None withdraws it); True if changed."""
    row = session.get(ProcedureRecord, procedure, with_for_update=True)
    if row is None:
        session.add(
            ProcedureRecord(id=procedure, current_version_id=version_id, updated_at=utcnow())
        )
        session.flush()
        return True
    if row.current_version_id == version_id:
        return False
    row.current_version_id = version_id
    row.updated_at = utcnow()
    return True


def withdraw_others(session: Session, keep: set[str]) -> list[str]:
    """Take out of the catalog the procedures not in `keep`; running requests go on."""
    ids = session.scalars(
        select(ProcedureRecord.id).where(
            ProcedureRecord.current_version_id.is_not(None), ProcedureRecord.id.not_in(keep)
        )
    ).all()
    for procedure in ids:
        make_current(session, procedure, None)
    return list(ids)


def current_version(session: Session, procedure: str) -> tuple[int, str] | None:
    """Return the id and content hash of a procedure's current version."""
    row = session.execute(
        select(ProcessVersion.id, ProcessVersion.content_hash)
        .join(ProcedureRecord, ProcedureRecord.current_version_id == ProcessVersion.id)
        .where(ProcedureRecord.id == procedure)
    ).first()
    return (row[0], row[1]) if row is not None else None


def definition(session: Session, version_id: int) -> ParsedDefinition:
    """Return the parsed specs of a version, parsing it once per process."""
    key = (str(session.get_bind().engine.url), version_id)  # ids are per database
    cached = _cache.get(key)
    if cached is not None:
        return cached
    version = session.get(ProcessVersion, version_id)
    if version is None:
        raise LookupError(f"process version {version_id} does not exist")
    called = {name: text.encode("utf-8") for name, text in (version.called_sources or {}).items()}
    spec, subprocess_specs = parse_bpmn(
        version.source, version.process_id, version.filename, called
    )
    loops.guard(spec, *subprocess_specs.values())
    limit = int((version.catalog_entry or {}).get("max_instances", loops.MAX_INSTANCES))
    parsed = ParsedDefinition(version.id, version.process_id, spec, subprocess_specs, limit)
    with _cache_lock:
        _cache.setdefault(key, parsed)
    return _cache[key]


def departments_named(parsed: ParsedDefinition, registry: str) -> set[str]:
    """Return the department codes a version's lanes and `department` properties name
    directly (not `{variable}`, not the applicant's lane; the registry lane as `registry`)."""
    codes = set()
    for process in [parsed.spec, *(s for s in parsed.subprocess_specs.values() if s)]:
        for task_spec in process.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            code = props.get("department") or task_spec.lane
            if code and not code.startswith("{") and code != APPLICANT_LANE:
                codes.add(department_code(code, registry) or code)
    return codes


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow to JSON, without its spec."""
    return str(SERIALIZER.serialize_json(workflow))


def load_workflow(state: str, parsed: ParsedDefinition) -> BpmnWorkflow:
    """Restore a workflow serialized by dump_workflow onto its version's specs."""
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["definition"] = parsed
    return SERIALIZER.from_dict(dct)
