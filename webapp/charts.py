"""Bar charts drawn on the server as SVG: shapes and labels laid out here, written by the
template dashboards/_chart.html (escaped by Jinja); no script, no library from a CDN, so the
pages work offline and under the CSP. Colours come from circuit.css classes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MONTHS = [
    "ian.",
    "feb.",
    "mar.",
    "apr.",
    "mai",
    "iun.",
    "iul.",
    "aug.",
    "sep.",
    "oct.",
    "nov.",
    "dec.",
]


@dataclass(frozen=True)
class Series:
    """One kind of quantity in a stacked bar: its name in the legend and its CSS class."""

    name: str
    css: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # the rectangle's <title>: what a pointer or a screen reader hears


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = "chart-label"


@dataclass
class Chart:
    """An SVG chart: its title and description (for assistive technology), size, shapes."""

    id: str
    title: str
    desc: str
    width: int
    height: int
    series: Sequence[Series]
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    # On a narrow screen the chart scrolls; a time series opens on its newest end.
    newest_last: bool = False


def month_label(month: str) -> str:
    """Say "2026-11" as „nov. 2026”."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def _scale(value: int) -> tuple[int, int]:
    """Return an axis' top and its step: 1, 2 or 5 times a power of ten, at most 5 steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= factor * step * 5:
                unit = factor * step
                return max(unit, -(-value // unit) * unit), unit
        step *= 10


def stacked_columns(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[Sequence[int]],
    series: Sequence[Series],
) -> Chart:
    """Vertical stacked columns, one per label (months), one segment per series."""
    left, bottom, top, height = 44, 40, 12, 220
    step = max(28, min(64, 640 // max(1, len(labels))))
    width = left + step * len(labels) + 16
    chart = Chart(chart_id, title, desc, width, top + height + bottom, series, newest_last=True)
    peak, unit = _scale(max((sum(v) for v in values), default=0))
    base = top + height
    for amount in range(0, peak + 1, unit):
        y = base - height * amount / peak
        chart.lines.append((left, y, width - 8, y))
        chart.texts.append(Text(left - 6, y, str(amount), "end", "chart-axis"))
    for i, (label, stack) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step + step * 0.15
        y = float(base)
        for s, amount in zip(series, stack, strict=True):
            h = height * amount / peak
            if amount:
                y -= h
                chart.rects.append(Rect(x, y, step * 0.7, h, s.css, f"{label}: {amount} {s.name}"))
        # "nov. 2026": the month under its column, the year under the first and January's
        month, _, year = label.partition(" ")
        chart.texts.append(Text(x + step * 0.35, base + 12, month, "middle", "chart-axis"))
        if i == 0 or month == MONTHS[0]:
            chart.texts.append(Text(x + step * 0.35, base + 27, year, "middle", "chart-axis"))
    return chart


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[Sequence[int]],
    series: Sequence[Series],
) -> Chart:
    """Horizontal stacked bars, one per label (departments, officials), totals at the end."""
    left, row, width = 250, 30, 720
    plot = width - left - 60
    chart = Chart(chart_id, title, desc, width, row * len(labels) + 16, series)
    peak = max((sum(v) for v in values), default=0) or 1
    for i, (label, stack) in enumerate(zip(labels, values, strict=True)):
        y = 8 + i * row
        x = float(left)
        for s, amount in zip(series, stack, strict=True):
            w = plot * amount / peak
            if amount:
                chart.rects.append(Rect(x, y, w, row - 10, s.css, f"{label}: {amount} {s.name}"))
                x += w
        short = label if len(label) <= 34 else label[:33] + "…"
        chart.texts.append(Text(left - 8, y + row / 2, short, "end"))
        chart.texts.append(Text(x + 6, y + row / 2, str(sum(stack))))
    return chart
