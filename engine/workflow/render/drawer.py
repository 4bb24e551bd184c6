"""The SVG of one diagram plane: every shape and edge of it, by element kind."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from engine.workflow.render import shapes as s
from engine.workflow.render.model import (
    BPMNDI,
    COLORS,
    CONTAINERS,
    EVENTS,
    FONT_FAMILY,
    GATEWAYS,
    MARK_COLORS,
    MODEL,
    TASKS,
    bounds,
    definition_kind,
    local,
    waypoints,
)
from engine.workflow.render.shapes import SVG, Box, Point


class Drawer:
    def __init__(
        self,
        root: etree._Element,
        plane: etree._Element,
        marks: Mapping[str, str],
        counts: Mapping[str, int],
        lane_names: Mapping[str, str],
    ) -> None:
        self.lane_names = lane_names
        self.elements = {e.get("id"): e for e in root.iter() if e.get("id") is not None}
        self.plane = plane
        self.marks = marks
        self.counts = counts
        self.svg = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG})
        self.shapes = 0
        self.edges = 0

    def _colors(self, di: etree._Element, fill: str, stroke: str) -> tuple[str, str]:
        for fill_attr, stroke_attr in COLORS:
            fill = s.safe_color(di.get(fill_attr)) or fill
            stroke = s.safe_color(di.get(stroke_attr)) or stroke
        return fill, stroke

    def _group(self, layer: etree._Element, kind: str, element_id: str, cls: str) -> etree._Element:
        mark = self.marks.get(element_id or "")
        classes = f"{cls} kind-{kind}" + (f" {mark}" if mark else "")
        return s.el(layer, "g", cls=classes, data_element=element_id or "")

    def draw(self) -> str:
        shapes = [
            (n, b)
            for n in self.plane.iter(f"{{{BPMNDI}}}BPMNShape")
            if (b := bounds(n)) is not None
        ]
        edges = [
            (n, w) for n in self.plane.iter(f"{{{BPMNDI}}}BPMNEdge") if len(w := waypoints(n)) >= 2
        ]
        xs = [v for _, b in shapes for v in (b.x, b.x + b.w)] + [p[0] for _, w in edges for p in w]
        ys = [v for _, b in shapes for v in (b.y, b.y + b.h)] + [p[1] for _, w in edges for p in w]
        for n in list(self.plane.iter(f"{{{BPMNDI}}}BPMNLabel")):
            if (b := bounds(n)) is not None:
                xs += [b.x, b.x + b.w]
                ys += [b.y, b.y + b.h]
        left, top = (min(xs) - 20, min(ys) - 20) if xs else (0.0, 0.0)
        width, height = ((max(xs) + 20 - left), (max(ys) + 20 - top)) if xs else (100.0, 100.0)
        self.svg.set("viewBox", f"{s.num(left)} {s.num(top)} {s.num(width)} {s.num(height)}")
        self.svg.set("width", s.num(width))
        self.svg.set("height", s.num(height))
        self.svg.set("class", "bpmn-diagram")
        self.svg.set("role", "img")
        self.svg.set("font-family", FONT_FAMILY)
        back, middle, front, labels = (s.el(self.svg, "g") for _ in range(4))
        # Containers first, the largest at the back, so what they hold stays visible.
        ordered = sorted(shapes, key=lambda sb: -(sb[1].w * sb[1].h))
        for node, box in ordered:
            element = self.elements.get(node.get("bpmnElement"))
            kind = local(element) if element is not None else "unknown"
            big = (
                kind in CONTAINERS
                or kind == "group"
                or (kind in TASKS and node.get("isExpanded") == "true")
            )
            self._shape(back if big else front, labels, node, element, kind, box)
        for node, points in edges:
            self._edge(middle, labels, node, points)
        return etree.tostring(self.svg, encoding="unicode")

    def _shape(
        self,
        layer: etree._Element,
        labels: etree._Element,
        di: etree._Element,
        element: etree._Element | None,
        kind: str,
        box: Box,
    ) -> None:
        self.shapes += 1
        element_id = di.get("bpmnElement") or ""
        g = self._group(layer, kind, element_id, "bpmn-shape")
        name = (element.get("name") or "").strip() if element is not None else ""
        fill, stroke = self._colors(di, "#fff", s.STROKE)
        label_box = bounds(di.find(f"{{{BPMNDI}}}BPMNLabel"))
        if kind in CONTAINERS:
            name = self.lane_names.get(name, name)
            s.body(
                g,
                box,
                fill="none" if kind == "lane" else fill,
                stroke=stroke,
                stroke_width=1.5,
            )
            horizontal = di.get("isHorizontal", "true") != "false"
            if name and horizontal:
                band = Box(box.x, box.y, 30, box.h)
                s.path(
                    g,
                    f"M{s.num(box.x + 30)},{s.num(box.y)} v{s.num(box.h)}",
                    stroke=stroke,
                    stroke_width=1.5,
                )
                s.vertical_text(labels, name, band)
            elif name:
                band = Box(box.x, box.y, box.w, 30)
                s.path(
                    g,
                    f"M{s.num(box.x)},{s.num(box.y + 30)} h{s.num(box.w)}",
                    stroke=stroke,
                    stroke_width=1.5,
                )
                s.text_block(labels, name, band)
        elif kind in TASKS:
            self._task(g, labels, di, element, kind, box, name, fill, stroke, label_box)
        elif kind in EVENTS and element is not None:
            self._event(g, element, kind, box, fill, stroke)
            self._outside_label(labels, name, box, label_box)
        elif kind in GATEWAYS:
            cx, cy = box.cx, box.cy
            corners = [(cx, box.y), (box.x + box.w, cy), (cx, box.y + box.h), (box.x, cy)]
            d = s.polyline(corners) + " Z"
            s.path(g, d, cls="body", fill=fill, stroke=stroke, stroke_width=2)
            s.gateway_marker(g, kind, box, di.get("isMarkerVisible") != "false")
            self._outside_label(labels, name, box, label_box)
        elif kind in ("dataObjectReference", "dataObject", "dataInput", "dataOutput"):
            target = element
            if kind == "dataObjectReference" and element is not None:
                referred = self.elements.get(element.get("dataObjectRef"))
                target = referred if referred is not None else element
            collection = target is not None and target.get("isCollection") == "true"
            s.data_object(g, box, fill, stroke, collection)
            if kind in ("dataInput", "dataOutput"):
                s.arrow_head(
                    g,
                    (box.x + 3, box.y + 10),
                    (box.x + 13, box.y + 10),
                    filled=kind == "dataOutput",
                    stroke=stroke,
                )
            state = element.find(f"{{{MODEL}}}dataState") if element is not None else None
            if state is not None and state.get("name"):
                name = f"{name} [{state.get('name')}]"
            self._outside_label(labels, name, box, label_box)
        elif kind in ("dataStoreReference", "dataStore"):
            s.data_store(g, box, fill, stroke)
            self._outside_label(labels, name, box, label_box)
        elif kind == "textAnnotation":
            text = element.findtext(f"{{{MODEL}}}text") if element is not None else ""
            s.body(
                g,
                box,
                fill="none",
                stroke="none",
            )
            s.path(
                g,
                f"M{s.num(box.x + 10)},{s.num(box.y)} h-10 v{s.num(box.h)} h10",
                fill="none",
                stroke=stroke,
                stroke_width=1.5,
            )
            s.text_block(labels, (text or "").strip(), box, middle=False, anchor="start")
        elif kind == "group":
            s.body(
                g,
                box,
                rx=10,
                fill="none",
                stroke=stroke,
                stroke_width=1.5,
                stroke_dasharray="8 3 1 3",
            )
            value = (
                self.elements.get(element.get("categoryValueRef")) if element is not None else None
            )
            name = name or ((value.get("value") or "") if value is not None else "")
            where = label_box or Box(box.x, box.y + 4, box.w, 20)
            s.text_block(labels, name, where, middle=label_box is None)
        elif kind == "message":
            s.envelope(g, box.cx, box.cy, box.w, False)
            self._outside_label(labels, name, box, label_box)
        else:  # an element this drawer does not know, or a shape naming no element
            s.body(
                g,
                box,
                fill="none",
                stroke=stroke,
                stroke_width=1,
                stroke_dasharray="4 3",
            )
            s.text_block(labels, name, box)
        self._mark(g, element_id)
        self._count(g, element_id, box)

    def _task(
        self,
        g: etree._Element,
        labels: etree._Element,
        di: etree._Element,
        element: etree._Element | None,
        kind: str,
        box: Box,
        name: str,
        fill: str,
        stroke: str,
        label_box: Box | None,
    ) -> None:
        expanded = di.get("isExpanded") == "true"
        event_sub = element is not None and element.get("triggeredByEvent") == "true"
        width = 4.0 if kind == "callActivity" else 1.5
        dash = "4 3" if event_sub else "none"
        s.body(
            g,
            box,
            rx=10,
            fill=fill,
            stroke=stroke,
            stroke_width=width,
            stroke_dasharray=dash,
        )
        if kind == "transaction":
            s.el(
                g,
                "rect",
                x=box.x + 3,
                y=box.y + 3,
                width=max(box.w - 6, 0),
                height=max(box.h - 6, 0),
                rx=8,
                fill="none",
                stroke=stroke,
                stroke_width=1,
            )
        s.task_marker(g, kind, box)
        markers = []
        if element is not None:
            loop = element.find(f"{{{MODEL}}}multiInstanceLoopCharacteristics")
            if loop is not None:
                markers.append("sequential" if loop.get("isSequential") == "true" else "parallel")
            if element.find(f"{{{MODEL}}}standardLoopCharacteristics") is not None:
                markers.append("loop")
            if element.get("isForCompensation") == "true":
                markers.append("compensation")
        if kind == "adHocSubProcess":
            markers.append("adhoc")
        if (
            kind in ("subProcess", "transaction", "adHocSubProcess", "callActivity")
            and not expanded
        ):
            markers.append("collapsed")
        s.bottom_markers(g, box, markers)
        if label_box is not None and not expanded:
            s.text_block(labels, name, label_box)
        elif expanded:
            s.text_block(
                labels, name, Box(box.x + 4, box.y + 4, box.w - 8, 20), middle=False, anchor="start"
            )
        else:
            inner = Box(box.x + 4, box.y + (14 if kind != "task" else 2), box.w - 8, box.h - 20)
            s.text_block(labels, name, inner)

    def _event(
        self,
        g: etree._Element,
        element: etree._Element,
        kind: str,
        box: Box,
        fill: str,
        stroke: str,
    ) -> None:
        r = min(box.w, box.h) / 2
        definition = definition_kind(element)
        interrupting = (
            element.get("cancelActivity", "true") != "false"
            and element.get("isInterrupting", "true") != "false"
        )
        dash = "none" if interrupting else "5 3"
        width = 4.0 if kind == "endEvent" else 1.5
        s.el(
            g,
            "circle",
            cls="body",
            cx=box.cx,
            cy=box.cy,
            r=r,
            fill=fill,
            stroke=stroke,
            stroke_width=width,
            stroke_dasharray=dash,
        )
        if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            s.el(
                g,
                "circle",
                cx=box.cx,
                cy=box.cy,
                r=max(r - 3, 1),
                fill="none",
                stroke=stroke,
                stroke_width=1,
                stroke_dasharray=dash,
            )
        if definition:
            throw = kind in ("endEvent", "intermediateThrowEvent")
            s.event_marker(g, definition, box, throw)

    def _outside_label(
        self, labels: etree._Element, name: str, box: Box, label_box: Box | None
    ) -> None:
        if not name:
            return
        where = label_box or Box(box.cx - 50, box.y + box.h + 4, 100, 30)
        s.text_block(labels, name, where, middle=label_box is not None)

    def _mark(self, g: etree._Element, element_id: str) -> None:
        colors = MARK_COLORS.get(self.marks.get(element_id, ""))
        if colors is None:
            return
        fill, stroke, width = colors
        for body in g.iter(f"{{{SVG}}}*"):
            if body.get("class") == "body":
                if body.get("fill") != "none":
                    body.set("fill", fill)
                body.set("stroke", stroke)
                body.set("stroke-width", s.num(width))

    def _count(self, g: etree._Element, element_id: str, box: Box) -> None:
        number = self.counts.get(element_id)
        if not number:
            return
        badge = s.el(g, "g", cls="bpmn-count")
        cx, cy = box.x + box.w, box.y
        s.el(badge, "circle", cx=cx, cy=cy, r=11, fill="#0b4f8a", stroke="#fff", stroke_width=1.5)
        s.el(
            badge,
            "text",
            x=cx,
            y=cy + 4,
            font_size=11,
            font_weight="bold",
            fill="#fff",
            text_anchor="middle",
        ).text = str(number)

    def _edge(
        self, layer: etree._Element, labels: etree._Element, di: etree._Element, points: list[Point]
    ) -> None:
        self.edges += 1
        element_id = di.get("bpmnElement") or ""
        element = self.elements.get(element_id)
        kind = local(element) if element is not None else "unknown"
        g = self._group(layer, kind, element_id, "bpmn-edge")
        _, stroke = self._colors(di, "#fff", s.STROKE)
        dash = {
            "messageFlow": "6 4",
            "association": "2 3",
            "dataInputAssociation": "2 3",
            "dataOutputAssociation": "2 3",
        }.get(kind, "none")
        s.path(
            g,
            s.polyline(points),
            fill="none",
            stroke=stroke,
            stroke_width=1.5,
            stroke_dasharray=dash,
            stroke_linejoin="round",
        )
        if kind == "sequenceFlow" and element is not None:
            s.arrow_head(g, points[-2], points[-1], filled=True, stroke=stroke)
            source = self.elements.get(element.get("sourceRef"))
            if source is not None and source.get("default") == element_id:
                s.start_marker(g, points[0], points[1], "default", stroke)
            elif (
                element.find(f"{{{MODEL}}}conditionExpression") is not None
                and source is not None
                and local(source) not in GATEWAYS
            ):
                s.start_marker(g, points[0], points[1], "conditional", stroke)
        elif kind == "messageFlow":
            s.start_marker(g, points[0], points[1], "message", stroke)
            s.arrow_head(g, points[-2], points[-1], filled=False, stroke=stroke)
        elif kind in ("dataInputAssociation", "dataOutputAssociation"):
            s.arrow_head(g, points[-2], points[-1], filled=False, stroke=stroke)
        elif kind == "association" and element is not None:
            direction = element.get("associationDirection", "None")
            if direction in ("One", "Both"):
                s.arrow_head(g, points[-2], points[-1], filled=False, stroke=stroke)
            if direction == "Both":
                s.arrow_head(g, points[1], points[0], filled=False, stroke=stroke)
        name = (element.get("name") or "").strip() if element is not None else ""
        if name:
            label_box = bounds(di.find(f"{{{BPMNDI}}}BPMNLabel"))
            if label_box is None:
                mx, my = s.middle_point(points)
                label_box = Box(mx - 45, my - 20, 90, 16)
            s.text_block(labels, name, label_box)
