"""Camunda Modeler's dialects: its extension properties are read as Circuit's, what Circuit
cannot run (form keys, JUEL and FEEL expressions, assignees) is named with what to write."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
VENDORS = {CAMUNDA_NS: "camunda", ZEEBE_NS: "zeebe"}

_JUEL = re.compile(r"^\s*[$#]\{.*\}\s*$", re.S)
_FEEL = re.compile(r"^\s*=")


def properties(element: Any) -> list[tuple[str, str, str]]:
    """Return (vendor, name, value) of the element's camunda:/zeebe: extension properties."""
    found = []
    for ns, vendor in VENDORS.items():
        for prop in element.iterfind(
            f"{{{BPMN_NS}}}extensionElements/{{{ns}}}properties/{{{ns}}}property"
        ):
            found.append((vendor, prop.get("name") or "", prop.get("value") or ""))
    return found


def to_spiff(root: Any) -> Any:
    """Copy camunda:property and zeebe:property name/value pairs of every element into its
    spiffworkflow:properties (a spiffworkflow:property of the same name wins); return root.

    The runtime reads only spiffworkflow:properties, so a diagram drawn in Camunda Modeler
    with extension properties runs as if drawn in SpiffArena."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        vendor_props = properties(element)
        if not vendor_props:
            continue
        extension = element.find(f"{{{BPMN_NS}}}extensionElements")
        holder = extension.find(f"{{{SPIFF_NS}}}properties")
        if holder is None:
            holder = etree.SubElement(extension, f"{{{SPIFF_NS}}}properties")
        have = {p.get("name") for p in holder.iterfind(f"{{{SPIFF_NS}}}property")}
        for _, name, value in vendor_props:
            if name and name not in have:
                etree.SubElement(holder, f"{{{SPIFF_NS}}}property", name=name, value=value)
                have.add(name)
    return root


def expression_dialect(text: str) -> str | None:
    """Return "JUEL" or "FEEL" if an expression is written in Camunda's languages."""
    if _JUEL.match(text or ""):
        return "JUEL"
    if _FEEL.match(text or "") and not (text or "").lstrip().startswith("=="):
        return "FEEL"
    return None


def dialect_fix(text: str, dialect: str) -> str:
    """Say how to write a JUEL/FEEL expression in Circuit's language."""
    inner = text.strip()
    if dialect == "JUEL":
        inner = inner[2:-1].strip()
    else:
        inner = inner[1:].strip()
    inner = inner.replace("&&", " and ").replace("||", " or ")
    inner = " ".join(inner.split())
    return (
        f"Circuit citește expresii ca în Python, fără „${{…}}” sau „=” în față: de exemplu "
        f"„{inner}” (and, or, not; texte între ghilimele; funcțiile din "
        "docs/designing-procedures.md)."
    )
