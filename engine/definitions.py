"""Process definitions: BPMN files versioned by content hash, parsed once per version."""

from __future__ import annotations

import hashlib
import json
import threading
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import bpmncheck
from engine.models import ProcessVersion


@dataclass(frozen=True)
class ParsedDefinition:
    """The specs of one process version, shared by every instance on that version."""

    version_id: int
    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


class _LeanWorkflowConverter(BpmnWorkflowConverter):
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
_cache: dict[int, ParsedDefinition] = {}
_cache_lock = threading.Lock()


def content_hash(source: bytes) -> str:
    """Return the SHA-256 of a BPMN file's bytes: the identity of a version."""
    return hashlib.sha256(source).hexdigest()


def parse_bpmn(
    source: bytes, process_id: str, filename: str = "diagram.bpmn"
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Parse BPMN bytes with the SpiffWorkflow extensions and return the process specs."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(source), filename=filename)
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def deploy(
    session: Session,
    bpmn_dir: Path,
    filename: str,
    process_id: str,
    forms_dir: Path | None = None,
) -> ProcessVersion:
    """Register the BPMN file as a version if its content is new; return the version.

    A diagram with problems (bpmncheck) is refused with bpmncheck.DiagramRefused."""
    bpmncheck.ensure_runnable(bpmn_dir / filename, forms_dir)
    source = (bpmn_dir / filename).read_bytes()
    digest = content_hash(source)
    version = session.scalar(select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if version is None:
        parse_bpmn(source, process_id, filename)  # refuse a version that does not parse
        version = ProcessVersion(
            process_id=process_id, content_hash=digest, filename=filename, source=source
        )
        session.add(version)
        session.flush()
    return version


def current_version(session: Session, process_id: str) -> tuple[int, str] | None:
    """Return the id and content hash of the newest deployed version of a process."""
    row = session.execute(
        select(ProcessVersion.id, ProcessVersion.content_hash)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def definition(session: Session, version_id: int) -> ParsedDefinition:
    """Return the parsed specs of a version, parsing it once per process."""
    cached = _cache.get(version_id)
    if cached is not None:
        return cached
    version = session.get(ProcessVersion, version_id)
    if version is None:
        raise LookupError(f"process version {version_id} does not exist")
    spec, subprocess_specs = parse_bpmn(version.source, version.process_id, version.filename)
    parsed = ParsedDefinition(version.id, version.process_id, spec, subprocess_specs)
    with _cache_lock:
        _cache.setdefault(version_id, parsed)
    return _cache[version_id]


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow to JSON, without its spec."""
    return str(SERIALIZER.serialize_json(workflow))


def load_workflow(state: str, parsed: ParsedDefinition) -> BpmnWorkflow:
    """Restore a workflow serialized by dump_workflow onto its version's specs."""
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["definition"] = parsed
    return SERIALIZER.from_dict(dct)
