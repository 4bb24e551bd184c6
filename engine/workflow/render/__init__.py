"""Draw a BPMN file as SVG from its diagram interchange (DI): any modeler's export, every
element kind, the steps of a request marked and counts per step written on it."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from engine.workflow.render.drawer import Drawer
from engine.workflow.render.model import (
    BPMNDI,
    DRAWN,
    MODEL,
    PARSER,
    RenderError,
    Rendering,
    local,
)

__all__ = ["BPMNDI", "MODEL", "RenderError", "Rendering", "parse", "render_bpmn"]


def parse(source: bytes) -> etree._Element:
    """Parse a BPMN file, refusing with a Romanian message what is not one."""
    try:
        root = etree.fromstring(source, PARSER)
    except etree.XMLSyntaxError as exc:
        where = f"rândul {exc.lineno}, coloana {exc.offset}" if exc.lineno else "la început"
        raise RenderError(f"Fișierul nu este XML valid: eroare de sintaxă la {where}.") from exc
    if root.tag != f"{{{MODEL}}}definitions":
        raise RenderError(
            "Fișierul nu este o diagramă BPMN 2.0: elementul rădăcină trebuie să fie "
            "„definitions” din spațiul de nume BPMN 2.0 (MODEL)."
        )
    return root


def _choose_plane(root: etree._Element, process_id: str | None) -> tuple[etree._Element, int]:
    diagrams = root.findall(f"{{{BPMNDI}}}BPMNDiagram")
    planes = [(d, p) for d in diagrams if (p := d.find(f"{{{BPMNDI}}}BPMNPlane")) is not None]
    if not planes:
        raise RenderError(
            "Fișierul nu conține nicio diagramă desenată (BPMN DI): salvați-l dintr-un modelator "
            "(Camunda Modeler, bpmn.io) care păstrează poziția elementelor."
        )
    wanted = {process_id} if process_id else {
        p.get("id") for p in root.findall(f"{{{MODEL}}}process") if p.get("isExecutable") == "true"
    }  # fmt: skip
    for _, plane in planes:
        target = plane.get("bpmnElement")
        if target in wanted:
            return plane, len(planes)
        for participant in root.iter(f"{{{MODEL}}}participant"):
            collaboration = participant.getparent()
            if (
                collaboration is not None
                and collaboration.get("id") == target
                and participant.get("processRef") in wanted
            ):
                return plane, len(planes)
    return planes[0][1], len(planes)


def render_bpmn(
    source: bytes,
    *,
    process_id: str | None = None,
    marks: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
    lane_names: Mapping[str, str] | None = None,
) -> Rendering:
    """Draw a BPMN file's diagram (the executable process's, else the first) as SVG.

    marks gives element ids a CSS class (`done`, `current`); counts writes a number on
    elements; lane_names shows lanes and pools by other names (a department's for its code).
    Raises RenderError for a file that is not BPMN or has no diagram."""
    root = parse(source)
    plane, diagrams = _choose_plane(root, process_id)
    drawer = Drawer(root, plane, marks or {}, counts or {}, lane_names or {})
    svg = drawer.draw()
    with_di = {
        n.get("bpmnElement") for n in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")
    }
    missing = [
        (local(e), e.get("id") or "", (e.get("name") or "").strip())
        for e in root.iter(f"{{{MODEL}}}*")
        if local(e) in DRAWN and e.get("id") not in with_di
    ]
    diagram = plane.getparent()
    title = ""
    if diagram is not None:
        title = diagram.get("name") or diagram.get("id") or ""
    return Rendering(
        svg, title or plane.get("id") or "", diagrams, drawer.shapes, drawer.edges, missing
    )
