"""SVG drawing of BPMN shapes, markers, flows and labels, in the look of the common modelers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

SVG = "http://www.w3.org/2000/svg"
STROKE = "#22242a"
FONT = 11.0
LINE_HEIGHT = 13.0
_CHAR = 0.5 * FONT  # an average glyph of a sans-serif face at FONT
_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9., %]{5,40}\))$")

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A shape's bounds in diagram coordinates."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def safe_color(value: str | None) -> str | None:
    """Return a modeler's colour if it is a plain CSS colour, else None."""
    return value if value and _COLOR.match(value.strip()) else None


def num(value: float) -> str:
    """Format a coordinate compactly."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def el(parent: etree._Element, tag: str, **attrs: str | float) -> etree._Element:
    """Append an SVG element; underscores in attribute names become dashes."""
    node = etree.SubElement(parent, f"{{{SVG}}}{tag}")
    for key, value in attrs.items():
        name = "class" if key == "cls" else key.rstrip("_").replace("_", "-")
        node.set(name, num(value) if isinstance(value, float | int) else value)
    return node


def body(parent: etree._Element, box: Box, **attrs: str | float) -> etree._Element:
    """Append the rectangle that is a shape's body (the element a click or a mark finds)."""
    return el(parent, "rect", cls="body", x=box.x, y=box.y, width=box.w, height=box.h, **attrs)


def path(parent: etree._Element, d: str, **attrs: str | float) -> etree._Element:
    return el(parent, "path", d=d, **attrs)


def wrap(text: str, width: float) -> list[str]:
    """Split text into lines that fit width, breaking words that are longer than a line."""
    per_line = max(3, int(width / _CHAR))
    # A modeler's label box is sized by its own font: widen to the longest ordinary word
    # rather than cut it; only a very long token is broken.
    longest = max((len(w) for w in text.split()), default=0)
    per_line = max(per_line, min(longest, 16))
    lines: list[str] = []
    for paragraph in text.replace("\r", "").split("\n"):
        line = ""
        for word in paragraph.split():
            while len(word) > per_line:
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:per_line])
                word = word[per_line:]
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= per_line:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def text_block(
    parent: etree._Element,
    text: str,
    box: Box,
    *,
    middle: bool = True,
    anchor: str = "middle",
    cls: str = "label",
) -> None:
    """Write text wrapped to box: centred vertically if middle, else from its top."""
    lines = wrap(text, max(box.w - 4, 20))
    if not lines:
        return
    total = len(lines) * LINE_HEIGHT
    top = box.cy - total / 2 if middle else box.y
    x = box.cx if anchor == "middle" else box.x + 4
    node = el(parent, "text", cls=cls, x=x, y=top, font_size=FONT, text_anchor=anchor)
    for i, line in enumerate(lines):
        span = el(node, "tspan", x=x, y=top + (i + 0.8) * LINE_HEIGHT)
        span.text = line


def vertical_text(parent: etree._Element, text: str, box: Box) -> None:
    """Write a pool's or lane's name along its left band, bottom to top."""
    lines = wrap(text, max(box.h - 8, 20))[:2]
    node = el(
        parent,
        "text",
        cls="label",
        font_size=FONT,
        text_anchor="middle",
        transform=f"rotate(-90 {num(box.cx)} {num(box.cy)})",
    )
    first = box.cy - (len(lines) - 1) * LINE_HEIGHT / 2 + FONT / 3
    for i, line in enumerate(lines):
        span = el(node, "tspan", x=box.cx, y=first + i * LINE_HEIGHT)
        span.text = line


def envelope(g: etree._Element, cx: float, cy: float, w: float, filled: bool) -> None:
    h = w * 0.68
    x, y = cx - w / 2, cy - h / 2
    fill = STROKE if filled else "#fff"
    line = "#fff" if filled else STROKE
    el(g, "rect", x=x, y=y, width=w, height=h, fill=fill, stroke=STROKE, stroke_width=1)
    path(
        g,
        f"M{num(x)},{num(y)} L{num(cx)},{num(cy + h * 0.1)} L{num(x + w)},{num(y)}",
        fill="none",
        stroke=line,
        stroke_width=1,
    )


def event_marker(g: etree._Element, kind: str, box: Box, throw: bool) -> None:
    """Draw the symbol of an event definition inside an event's circle."""
    cx, cy, r = box.cx, box.cy, min(box.w, box.h) / 2
    fill = STROKE if throw else "none"
    s = r * 0.55
    if kind == "message":
        envelope(g, cx, cy, r * 1.05, throw)
    elif kind == "timer":
        el(g, "circle", cx=cx, cy=cy, r=r * 0.6, fill="#fff", stroke=STROKE, stroke_width=1.5)
        for i in range(12):
            a = i * math.pi / 6
            x1, y1 = cx + math.cos(a) * r * 0.48, cy + math.sin(a) * r * 0.48
            x2, y2 = cx + math.cos(a) * r * 0.6, cy + math.sin(a) * r * 0.6
            path(g, f"M{num(x1)},{num(y1)} L{num(x2)},{num(y2)}", stroke=STROKE, stroke_width=1)
        hands = (
            f"M{num(cx)},{num(cy - r * 0.42)} L{num(cx)},{num(cy)} L{num(cx + r * 0.3)},{num(cy)}"
        )
        path(g, hands, fill="none", stroke=STROKE, stroke_width=1.5)
    elif kind == "signal":
        d = unit(cx, cy, s, [(0, -1), (1, 0.7), (-1, 0.7)], close=True)
        path(g, d, fill=fill, stroke=STROKE, stroke_width=1)
    elif kind == "error":
        d = unit(
            cx,
            cy,
            s,
            [(-1, 1), (-0.4, -1), (0.1, 0.2), (0.5, -0.9), (1, 1), (0.4, -0.1), (-0.1, 0.8)],
            close=True,
        )
        path(g, d, fill=fill, stroke=STROKE, stroke_width=1)
    elif kind == "escalation":
        d = unit(cx, cy, s, [(0, -1), (0.6, 1), (0, 0.3), (-0.6, 1)], close=True)
        path(g, d, fill=fill, stroke=STROKE, stroke_width=1)
    elif kind == "conditional":
        el(
            g,
            "rect",
            x=cx - s * 0.7,
            y=cy - s,
            width=s * 1.4,
            height=s * 2,
            fill="#fff",
            stroke=STROKE,
            stroke_width=1,
        )
        for i in range(4):
            y = cy - s * 0.6 + i * s * 0.4
            path(
                g,
                f"M{num(cx - s * 0.45)},{num(y)} L{num(cx + s * 0.45)},{num(y)}",
                stroke=STROKE,
                stroke_width=1,
            )
    elif kind == "link":
        arrow = [(-1, -0.3), (0.2, -0.3), (0.2, -0.8), (1, 0), (0.2, 0.8), (0.2, 0.3), (-1, 0.3)]
        d = unit(cx, cy, s, arrow, close=True)
        path(g, d, fill=fill, stroke=STROKE, stroke_width=1)
    elif kind == "compensate":
        for dx in (-s, 0.0):
            d = unit(cx + dx, cy, s, [(0, 0), (1, -0.6), (1, 0.6)], close=True)
            path(g, d, fill=fill, stroke=STROKE, stroke_width=1)
    elif kind == "terminate":
        el(g, "circle", cx=cx, cy=cy, r=r * 0.6, fill=STROKE)
    elif kind == "cancel":
        d = unit(cx, cy, s, [(-1, -1), (1, 1)], [(1, -1), (-1, 1)])
        path(g, d, stroke=STROKE, stroke_width=3)
    elif kind == "multiple":
        pts = [
            (cx + math.cos(a) * s, cy + math.sin(a) * s)
            for a in (-math.pi / 2 + i * 2 * math.pi / 5 for i in range(5))
        ]
        d = "M" + " L".join(f"{num(x)},{num(y)}" for x, y in pts) + " Z"
        path(g, d, fill=fill, stroke=STROKE, stroke_width=1)


def gateway_marker(g: etree._Element, kind: str, box: Box, marker_visible: bool) -> None:
    """Draw the symbol inside a gateway's diamond."""
    cx, cy, s = box.cx, box.cy, min(box.w, box.h) * 0.22
    if kind == "exclusiveGateway" and marker_visible:
        d = unit(cx, cy, s, [(-0.8, -1), (0.8, 1)], [(0.8, -1), (-0.8, 1)])
        path(g, d, stroke=STROKE, stroke_width=3.5)
    elif kind == "parallelGateway":
        d = unit(cx, cy, s, [(0, -1.2), (0, 1.2)], [(-1.2, 0), (1.2, 0)])
        path(g, d, stroke=STROKE, stroke_width=3.5)
    elif kind == "inclusiveGateway":
        el(g, "circle", cx=cx, cy=cy, r=s * 1.1, fill="none", stroke=STROKE, stroke_width=2.5)
    elif kind == "complexGateway":
        d = "".join(
            f"M{num(cx - math.cos(a) * s * 1.2)},{num(cy - math.sin(a) * s * 1.2)} "
            f"L{num(cx + math.cos(a) * s * 1.2)},{num(cy + math.sin(a) * s * 1.2)} "
            for a in (0, math.pi / 4, math.pi / 2, 3 * math.pi / 4)
        )
        path(g, d, stroke=STROKE, stroke_width=3)
    elif kind == "eventBasedGateway":
        el(g, "circle", cx=cx, cy=cy, r=s * 1.25, fill="none", stroke=STROKE, stroke_width=1)
        el(g, "circle", cx=cx, cy=cy, r=s * 1.05, fill="none", stroke=STROKE, stroke_width=1)
        pts = [
            (cx + math.cos(a) * s * 0.7, cy + math.sin(a) * s * 0.7)
            for a in (-math.pi / 2 + i * 2 * math.pi / 5 for i in range(5))
        ]
        path(
            g,
            "M" + " L".join(f"{num(x)},{num(y)}" for x, y in pts) + " Z",
            fill="none",
            stroke=STROKE,
            stroke_width=1.5,
        )


def task_marker(g: etree._Element, kind: str, box: Box) -> None:
    """Draw the small type icon in a task's top-left corner."""
    x, y = box.x + 6, box.y + 6
    if kind == "userTask":
        el(g, "circle", cx=x + 7, cy=y + 4.5, r=3.5, fill="#fff", stroke=STROKE, stroke_width=1)
        path(
            g,
            f"M{num(x)},{num(y + 16)} C{num(x)},{num(y + 9)} {num(x + 14)},{num(y + 9)} "
            f"{num(x + 14)},{num(y + 16)} Z",
            fill="#fff",
            stroke=STROKE,
            stroke_width=1,
        )
    elif kind == "serviceTask":
        el(
            g,
            "circle",
            cx=x + 7,
            cy=y + 7,
            r=5.5,
            fill="none",
            stroke=STROKE,
            stroke_width=3,
            stroke_dasharray="2.2 1.6",
        )
        el(g, "circle", cx=x + 7, cy=y + 7, r=2.2, fill="#fff", stroke=STROKE, stroke_width=1)
    elif kind == "scriptTask":
        scroll = "h10 c-3,3 -3,5 0,8 s3,5 0,8 h-10 c3,-3 3,-5 0,-8 s-3,-5 0,-8 Z"
        path(g, f"M{num(x + 2)},{num(y)} {scroll}", fill="#fff", stroke=STROKE, stroke_width=1)
        for i in range(3):
            path(
                g, f"M{num(x + 4 + (i % 2))},{num(y + 4 + i * 4)} h6", stroke=STROKE, stroke_width=1
            )
    elif kind == "sendTask":
        envelope(g, x + 8, y + 6, 16, True)
    elif kind == "receiveTask":
        envelope(g, x + 8, y + 6, 16, False)
    elif kind == "manualTask":
        path(
            g,
            f"M{num(x)},{num(y + 6)} h12 v3 h-5 v3 h4 v3 h-4 v3 h-7 Z",
            fill="#fff",
            stroke=STROKE,
            stroke_width=1,
        )
    elif kind == "businessRuleTask":
        el(g, "rect", x=x, y=y, width=16, height=12, fill="#fff", stroke=STROKE, stroke_width=1)
        el(g, "rect", x=x, y=y, width=16, height=3.5, fill="#bbb", stroke=STROKE, stroke_width=1)
        path(
            g,
            f"M{num(x)},{num(y + 7.5)} h16 M{num(x + 5)},{num(y + 3.5)} v8.5",
            stroke=STROKE,
            stroke_width=1,
        )


def bottom_markers(g: etree._Element, box: Box, markers: Sequence[str]) -> None:
    """Draw loop, multi-instance, collapsed and ad hoc markers centred at a task's bottom."""
    size, gap = 12.0, 3.0
    x = box.cx - (len(markers) * (size + gap) - gap) / 2
    y = box.y + box.h - size - 4
    for marker in markers:
        if marker == "collapsed":
            el(
                g,
                "rect",
                x=x,
                y=y,
                width=size,
                height=size,
                fill="#fff",
                stroke=STROKE,
                stroke_width=1,
            )
            path(
                g,
                f"M{num(x + 2.5)},{num(y + 6)} h7 M{num(x + 6)},{num(y + 2.5)} v7",
                stroke=STROKE,
                stroke_width=1.5,
            )
        elif marker in ("parallel", "sequential"):
            for i in range(3):
                d = (
                    f"M{num(x + 2 + i * 4)},{num(y + 1)} v10"
                    if marker == "parallel"
                    else f"M{num(x + 1)},{num(y + 2 + i * 4)} h10"
                )
                path(g, d, stroke=STROKE, stroke_width=2)
        elif marker == "loop":
            path(
                g,
                f"M{num(x + 3)},{num(y + 10)} A5,5 0 1 1 {num(x + 9)},{num(y + 10)} "
                f"M{num(x + 9)},{num(y + 10)} l3,-1 M{num(x + 9)},{num(y + 10)} l0,-3",
                fill="none",
                stroke=STROKE,
                stroke_width=1.5,
            )
        elif marker == "adhoc":
            path(
                g,
                f"M{num(x)},{num(y + 7)} q3,-4 6,0 t6,0",
                fill="none",
                stroke=STROKE,
                stroke_width=1.5,
            )
        elif marker == "compensation":
            for dx in (0.0, 6.0):
                path(
                    g,
                    f"M{num(x + dx)},{num(y + 6)} l6,-4 v8 Z",
                    fill="none",
                    stroke=STROKE,
                    stroke_width=1,
                )
        x += size + gap


def data_object(g: etree._Element, box: Box, fill: str, stroke: str, collection: bool) -> None:
    fold = min(box.w, box.h) * 0.35
    d = (
        f"M{num(box.x)},{num(box.y)} h{num(box.w - fold)} l{num(fold)},{num(fold)} "
        f"V{num(box.y + box.h)} H{num(box.x)} Z M{num(box.x + box.w - fold)},{num(box.y)} "
        f"v{num(fold)} h{num(fold)}"
    )
    path(g, d, cls="body", fill=fill, stroke=stroke, stroke_width=1.5)
    if collection:
        x, y = box.cx - 6, box.y + box.h - 12
        for i in range(3):
            path(g, f"M{num(x + 2 + i * 4)},{num(y)} v9", stroke=stroke, stroke_width=2)


def data_store(g: etree._Element, box: Box, fill: str, stroke: str) -> None:
    rx, ry = box.w / 2, min(box.h * 0.12, 10)
    top, bottom = box.y + ry, box.y + box.h - ry
    d = (
        f"M{num(box.x)},{num(top)} A{num(rx)},{num(ry)} 0 0 1 {num(box.x + box.w)},{num(top)} "
        f"V{num(bottom)} A{num(rx)},{num(ry)} 0 0 1 {num(box.x)},{num(bottom)} Z"
    )
    path(g, d, cls="body", fill=fill, stroke=stroke, stroke_width=1.5)
    for k in (0, 1, 2):
        y = top + k * ry * 0.6
        path(
            g,
            f"M{num(box.x)},{num(y)} A{num(rx)},{num(ry)} 0 0 0 {num(box.x + box.w)},{num(y)}",
            fill="none",
            stroke=stroke,
            stroke_width=1.5,
        )


def unit(cx: float, cy: float, s: float, *strokes: Sequence[Point], close: bool = False) -> str:
    """Return a path of strokes given in multiples of s around (cx, cy)."""
    end = " Z" if close else ""
    return " ".join(
        polyline([(cx + u * s, cy + v * s) for u, v in stroke]) + end for stroke in strokes
    )


def polyline(points: Sequence[Point]) -> str:
    return "M" + " L".join(f"{num(x)},{num(y)}" for x, y in points)


def arrow_head(g: etree._Element, a: Point, b: Point, *, filled: bool, stroke: str) -> None:
    """Draw an arrowhead at b for the segment a→b."""
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    length, half = 11.0, 4.5
    bx, by = b[0] - math.cos(angle) * length, b[1] - math.sin(angle) * length
    px, py = -math.sin(angle) * half, math.cos(angle) * half
    d = f"M{num(bx + px)},{num(by + py)} L{num(b[0])},{num(b[1])} L{num(bx - px)},{num(by - py)}"
    if filled:
        path(g, d + " Z", fill=stroke, stroke=stroke, stroke_width=1)
    else:
        path(g, d, fill="none" if not filled else stroke, stroke=stroke, stroke_width=1.5)


def start_marker(g: etree._Element, a: Point, b: Point, kind: str, stroke: str) -> None:
    """Draw a default slash, a conditional diamond or a message flow's circle at a."""
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    ux, uy = math.cos(angle), math.sin(angle)
    if kind == "default":
        mx, my = a[0] + ux * 10, a[1] + uy * 10
        px, py = -uy, ux
        d = unit(
            mx, my, 1, [(px * 6 - ux * 3, py * 6 - uy * 3), (ux * 3 - px * 6, uy * 3 - py * 6)]
        )
        path(g, d, stroke=stroke, stroke_width=1.5)
    elif kind == "conditional":
        px, py = -uy * 5, ux * 5
        tip = (a[0] + ux * 18, a[1] + uy * 18)
        mid = (a[0] + ux * 9, a[1] + uy * 9)
        d = (
            f"M{num(a[0])},{num(a[1])} L{num(mid[0] + px)},{num(mid[1] + py)} "
            f"L{num(tip[0])},{num(tip[1])} L{num(mid[0] - px)},{num(mid[1] - py)} Z"
        )
        path(g, d, fill="#fff", stroke=stroke, stroke_width=1)
    elif kind == "message":
        el(
            g,
            "circle",
            cx=a[0] + ux * 4,
            cy=a[1] + uy * 4,
            r=4,
            fill="#fff",
            stroke=stroke,
            stroke_width=1,
        )


def middle_point(points: Sequence[Point]) -> Point:
    """Return the point halfway along a polyline."""
    lengths = [math.dist(p, q) for p, q in zip(points, points[1:], strict=False)]
    half = sum(lengths) / 2
    for (p, q), length in zip(zip(points, points[1:], strict=False), lengths, strict=True):
        if half <= length and length > 0:
            t = half / length
            return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)
        half -= length
    return points[0]
