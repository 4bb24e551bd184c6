"""A request's circuit drawn: its version's diagram with the steps done and the current step
marked, and the same as a list of steps for those who do not see the drawing."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import queries
from engine.circuit import Circuit
from engine.models import Department, Instance, ProcessVersion, Request, TaskRecord, User
from engine.models import TaskState as RecordState
from engine.platform.errors import NotFound
from engine.workflow import definitions
from engine.workflow.render import MODEL, RenderError, render_bpmn
from engine.workflow.spifftasks import APPLICANT_LANE

DONE, CURRENT = "done", "current"
_SHOWN = {  # element kinds a person reads as a step of the circuit
    "task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
    "businessRuleTask", "callActivity", "subProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
}  # fmt: skip
_WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class Step:
    """A step of the circuit as the text beside the drawing says it."""

    element_id: str
    name: str
    state: str  # DONE or CURRENT


@dataclass(frozen=True)
class RequestDiagram:
    """The drawing of a request's circuit and its steps in the order they were reached."""

    svg: str
    steps: list[Step]
    version_id: int


def _progress_from_instance(session: Session, instance: Instance) -> dict[str, str]:
    """Return element id → DONE/CURRENT as the workflow instance knows it."""
    parsed = definitions.definition(session, instance.process_version_id)
    workflow = definitions.load_workflow(instance.state, parsed)
    marks: dict[str, str] = {}
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state & _WAITING:
            marks[bpmn_id] = CURRENT  # a step reached again in a loop is current
        elif task.state == TaskState.COMPLETED and marks.get(bpmn_id) != CURRENT:
            marks[bpmn_id] = DONE
    return marks


def _progress_from_tasks(session: Session, request_id: int) -> dict[str, str]:
    """Return the marks the task index knows (its user tasks), when the instance cannot load."""
    marks: dict[str, str] = {}
    for record in session.scalars(
        select(TaskRecord)
        .where(TaskRecord.request_id == request_id)
        .order_by(TaskRecord.created_at)
    ):
        if record.state == RecordState.READY:
            marks[record.bpmn_id] = CURRENT
        elif record.state == RecordState.COMPLETED and marks.get(record.bpmn_id) != CURRENT:
            marks[record.bpmn_id] = DONE
    return marks


def _steps(source: bytes, marks: dict[str, str]) -> list[Step]:
    """Return the named steps marked, done first in the diagram's order, then the current."""
    root = etree.fromstring(source, etree.XMLParser(resolve_entities=False, no_network=True))
    steps = []
    for element in root.iter(f"{{{MODEL}}}*"):
        element_id = element.get("id") or ""
        name = " ".join((element.get("name") or "").split())
        if etree.QName(element).localname in _SHOWN and element_id in marks and name:
            steps.append(Step(element_id, name, marks[element_id]))
    return [s for s in steps if s.state == DONE] + [s for s in steps if s.state == CURRENT]


def _lane_names(session: Session, source: bytes) -> dict[str, str]:
    """Name lanes as a citizen reads them: departments by name, not by code."""
    names = {code: name for code, name in session.execute(select(Department.code, Department.name))}
    names[APPLICANT_LANE] = "Solicitantul"
    root = etree.fromstring(source, etree.XMLParser(resolve_entities=False, no_network=True))
    for lane in root.iter(f"{{{MODEL}}}lane"):
        code = (lane.get("name") or "").strip()
        if code.startswith("{") and code.endswith("}"):
            names[code] = "Compartimentul competent"
    return names


def diagram_of(session: Session, request: Request) -> RequestDiagram | None:
    """Draw the circuit of a request already allowed to be seen; None if it has none."""
    instance = session.scalar(select(Instance).where(Instance.request_id == request.id))
    if instance is None:
        return None
    version = session.get(ProcessVersion, instance.process_version_id)
    if version is None:
        return None
    try:
        marks = _progress_from_instance(session, instance)
    except Exception:  # an instance that no longer loads still has its index to show
        marks = _progress_from_tasks(session, request.id)
    try:
        drawn = render_bpmn(
            version.source,
            process_id=version.process_id,
            marks=marks,
            lane_names=_lane_names(session, version.source),
        )
    except RenderError:
        return None
    return RequestDiagram(drawn.svg, _steps(version.source, marks), version.id)


def request_diagram(
    session: Session, circuit: Circuit, user: User, request_id: int
) -> RequestDiagram:
    """Draw a request's circuit for someone who may see the request (NotFound for others)."""
    request = queries.request_for(session, user, request_id)
    drawn = diagram_of(session, request)
    if drawn is None:
        raise NotFound("Cererea nu are o diagramă de afișat.")
    return drawn
