"""A process designer's folders for tests: copies of the repository's, plus small diagrams."""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.circuit import Circuit
from engine.platform.config import PROJECT_ROOT

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="Definitions_{name}" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


@dataclass
class Step:
    """A user task (or, with `call`, a call activity) of a linear test process."""

    id: str
    name: str
    lane: str = "registratura"
    form: str | None = None
    props: dict[str, str] = field(default_factory=dict)
    call: str | None = None


def process(pid: str, steps: list[Step]) -> str:
    """Return a bpmn:process running its steps one after the other."""
    lanes: dict[str, list[str]] = {}
    for step in steps:
        lanes.setdefault(step.lane, []).append(step.id)
    out = [f'  <bpmn:process id="{pid}" name="{pid}" isExecutable="true">']
    out.append(f'    <bpmn:laneSet id="{pid}_lanes">')
    for i, (lane, refs) in enumerate(lanes.items()):
        out.append(f'      <bpmn:lane id="{pid}_lane{i}" name="{lane}">')
        out += [f"        <bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs]
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    nodes = [f"{pid}_start", *(s.id for s in steps), f"{pid}_end"]
    out.append(f'    <bpmn:startEvent id="{pid}_start"/>')
    for step in steps:
        props = dict(step.props)
        if step.form:
            props["formJsonSchemaFilename"] = step.form
        ext = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in props.items())
        ext = (
            f"<bpmn:extensionElements><spiffworkflow:properties>{ext}"
            "</spiffworkflow:properties></bpmn:extensionElements>"
            if ext
            else ""
        )
        if step.call:
            out.append(
                f'    <bpmn:callActivity id="{step.id}" name="{step.name}" '
                f'calledElement="{step.call}"/>'
            )
        else:
            out.append(
                f'    <bpmn:userTask id="{step.id}" name="{step.name}">{ext}</bpmn:userTask>'
            )
    out.append(f'    <bpmn:endEvent id="{pid}_end"/>')
    for i, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False)):
        out.append(f'    <bpmn:sequenceFlow id="{pid}_flow{i}" sourceRef="{a}" targetRef="{b}"/>')
    out.append("  </bpmn:process>")
    return "\n".join(out) + "\n"


def diagram(name: str, *processes: str) -> str:
    """Return a BPMN document holding these processes."""
    return HEAD.format(name=name) + "".join(processes) + "</bpmn:definitions>\n"


def text_form(title: str, *fields: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a JSON Schema with text fields, none other allowed."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "required": list(required),
        "additionalProperties": False,
        "properties": {f: {"type": "string", "title": f.capitalize()} for f in fields},
    }


class Folders:
    """The three folders a designer edits, deployed into a Circuit as `circuit db upgrade`."""

    def __init__(self, root: Path, circuit: Circuit) -> None:
        self.circuit = circuit
        self.bpmn, self.forms, self.processes = root / "bpmn", root / "forms", root / "processes"
        for name, path in (("bpmn", self.bpmn), ("forms", self.forms)):
            shutil.copytree(PROJECT_ROOT / name, path)
        shutil.copytree(PROJECT_ROOT / "processes", self.processes)

    @property
    def env(self) -> dict[str, str]:
        return {
            "CIRCUIT_BPMN_DIR": str(self.bpmn),
            "CIRCUIT_FORMS_DIR": str(self.forms),
            "CIRCUIT_PROCESSES_DIR": str(self.processes),
        }

    def write_diagram(self, filename: str, text: str) -> None:
        (self.bpmn / filename).write_text(text, encoding="utf-8")

    def write_form(self, filename: str, schema: dict[str, Any]) -> None:
        (self.forms / filename).write_text(json.dumps(schema, ensure_ascii=False), "utf-8")

    def read_form(self, filename: str) -> dict[str, Any]:
        return json.loads((self.forms / filename).read_text("utf-8"))  # type: ignore[no-any-return]

    def write_entry(self, entry: dict[str, Any]) -> None:
        path = self.processes / f"{entry['id']}.json"
        path.write_text(json.dumps(entry, ensure_ascii=False), "utf-8")

    def read_entry(self, procedure: str) -> dict[str, Any]:
        return json.loads((self.processes / f"{procedure}.json").read_text("utf-8"))  # type: ignore[no-any-return]

    def entry(self, pid: str, bpmn: str, start_form: str, **extra: Any) -> dict[str, Any]:
        """Write and return a catalog entry for a procedure of the test diagrams."""
        entry = {
            "id": pid,
            "title": extra.pop("title", f"Procedura {pid}"),
            "legal_basis": "Test",
            "deadline": {"days": 10, "kind": "calendar"},
            "bpmn": bpmn,
            "process_id": extra.pop("process_id", pid),
            "start_form": start_form,
            **extra,
        }
        self.write_entry(entry)
        return entry

    def deploy(self) -> list[str]:
        """Deploy the folders in this process, as `circuit db upgrade` does."""
        self.circuit.settings = dataclasses.replace(
            self.circuit.settings,
            bpmn_dir=self.bpmn,
            forms_dir=self.forms,
            processes_dir=self.processes,
        )
        return self.circuit.deploy_all()
