"""What the drawing reads of a BPMN file: namespaces, element kinds, DI bounds and waypoints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lxml import etree

from engine.workflow.render.shapes import Box, Point

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
COLORS = (
    (
        "{http://bpmn.io/schema/bpmn/biocolor/1.0}fill",
        "{http://bpmn.io/schema/bpmn/biocolor/1.0}stroke",
    ),
    (
        "{http://www.omg.org/spec/BPMN/non-normative/color/1.0}background-color",
        "{http://www.omg.org/spec/BPMN/non-normative/color/1.0}border-color",
    ),
)
TASKS = {
    "task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
}  # fmt: skip
EVENTS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
}  # fmt: skip
GATEWAYS = {
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "complexGateway",
    "eventBasedGateway",
}  # fmt: skip
CONTAINERS = {"participant", "lane"}
# What a person expects to see drawn: elements of these kinds without DI are named.
DRAWN = (
    TASKS
    | EVENTS
    | GATEWAYS
    | CONTAINERS
    | {
        "sequenceFlow",
        "messageFlow",
        "dataObjectReference",
        "dataStoreReference",
        "textAnnotation",
        "association",
        "group",
    }
)
# Marks and counts are drawn with attributes, not a stylesheet, so they show where a page's
# Content-Security-Policy refuses inline styles; the classes let a page restyle them.
MARK_COLORS = {"done": ("#dcefe1", "#1d6b34", 2.5), "current": ("#fff1c2", "#9a4a00", 4.0)}
FONT_FAMILY = "Arial, 'Helvetica Neue', sans-serif"


class RenderError(Exception):
    """A file that cannot be drawn, with the reason in Romanian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Rendering:
    """An SVG and what the drawing says about the file."""

    svg: str
    diagram: str  # the diagram drawn, by name or id
    diagrams: int  # how many diagrams the file has
    shapes: int = 0
    edges: int = 0
    without_di: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, name)


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def as_float(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def bounds(node: etree._Element | None) -> Box | None:
    found = None if node is None else node.find(f"{{{DC}}}Bounds")
    if found is None:
        return None
    values = [as_float(found.get(k)) for k in ("x", "y", "width", "height")]
    if any(v is None for v in values):
        return None
    x, y, w, h = (float(v or 0) for v in values)
    return Box(x, y, max(w, 0.0), max(h, 0.0))


def waypoints(edge: etree._Element) -> list[Point]:
    points = []
    for wp in edge.findall(f"{{{DI}}}waypoint"):
        x, y = as_float(wp.get("x")), as_float(wp.get("y"))
        if x is not None and y is not None:
            points.append((x, y))
    return points


def definition_kind(event: etree._Element) -> str | None:
    kinds = [
        local(c)[: -len("EventDefinition")]
        for c in event
        if local(c).endswith("EventDefinition") or local(c) == "eventDefinitionRef"
    ]
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else "multiple"
