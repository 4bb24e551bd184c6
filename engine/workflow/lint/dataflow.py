"""Which variables are surely set where: a conservative data flow over a process's graph.

A variable is set at a point when, on every path from the start to it, the start data (the
start form, the catalog's `variables`, the engine's own names), a task's form or a script
sets it. Conditions, scripts, timers, loop counts and `{variable}` lanes read variables; one
read where the variable may be missing stops a request with a `process_error`."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.workflow.expressions import ExpressionError, parse_expression, parse_script
from engine.workflow.lint.vendor import BPMN_NS, SPIFF_NS

# What the engine puts in every request's data (engine.cases.operations.start_request).
BUILTINS = frozenset({"cerere", "petent", "termen_legal"})
REMINDER = "reamintire_la"  # set when the catalog entry has reminder_days
COMPLETION = "completare"  # set when the catalog entry has a `completion` term

ACTIVITIES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
}  # fmt: skip
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
            "complexGateway"}  # fmt: skip
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
          "boundaryEvent"}  # fmt: skip
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS

Names = frozenset[str] | None  # None: anything (a point no path reaches, or unknown data)


def local(element: Any) -> str:
    """Return the BPMN tag of an element without its namespace ("" for other elements)."""
    if not isinstance(element.tag, str):
        return ""
    name = element.tag
    if not name.startswith(f"{{{BPMN_NS}}}"):
        return ""
    return str(name[len(BPMN_NS) + 2 :])


def reads(node: ast.AST) -> set[str]:
    """Return the variable names an expression reads (not the functions it calls)."""
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in called
    }


def expression_reads(text: str) -> set[str]:
    """Return what an expression reads; nothing if it cannot be parsed (reported elsewhere)."""
    try:
        return reads(parse_expression(text))
    except ExpressionError:
        return set()


def script_lines(text: str) -> list[tuple[str, set[str]]]:
    """Return (variable set, variables read) for each line of a script."""
    try:
        return [(name, reads(node)) for name, node in parse_script(text)]
    except ExpressionError:
        return []


def assigned(text: str) -> set[str]:
    return {name for name, _ in script_lines(text)}


def _meet(a: Names, b: Names) -> Names:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _union(a: Names, b: Names) -> Names:
    return None if a is None or b is None else a | b


def _join(a: Names, more: Iterable[str]) -> Names:
    return None if a is None else a | frozenset(more)


@dataclass
class Read:
    """A variable read at an element, maybe missing there."""

    element: Any
    variable: str
    where: str  # „condiția”, „scriptul”, „temporizatorul”...
    known: frozenset[str] = field(default_factory=frozenset)


def _property(element: Any, name: str) -> str:
    for prop in element.iterfind(
        f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    ):
        if prop.get("name") == name:
            return (prop.get("value") or "").strip()
    return ""


def _text(element: Any, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


class Flow:
    """The data flow of one process (or embedded subprocess) and what it reads too early."""

    def __init__(
        self,
        container: Any,
        form_fields: Callable[[Any], set[str] | None],
        called_sets: Callable[[str], set[str] | None],
        lanes: dict[str, str],
    ) -> None:
        self.container = container
        self.form_fields = form_fields
        self.called_sets = called_sets
        self.lanes = lanes
        self.missing: list[Read] = []

    def sets(self, node: Any) -> set[str] | None:
        """Return what a node sets (None: unknown, anything)."""
        kind = local(node)
        out: set[str] = set()
        for extra in ("preScript", "postScript"):
            out |= assigned(_text(node, f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{extra}"))
        if kind in ("userTask", "manualTask"):
            fields = self.form_fields(node)
            if fields is None:
                return None
            out |= fields
        elif kind == "scriptTask":
            out |= assigned(_text(node, f"{{{BPMN_NS}}}script"))
        elif kind == "callActivity":
            called = self.called_sets(node.get("calledElement") or "")
            if called is None:
                return None
            out |= called
        elif kind in ("subProcess", "transaction", "adHocSubProcess"):
            inner = all_sets(node, self.form_fields, self.called_sets)
            if inner is None:
                return None
            out |= inner
        loop = node.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics")
        if loop is not None:
            output = _text(loop, f"{{{BPMN_NS}}}loopDataOutputRef")
            if output:
                out.add(output)
        return out

    def run(self, start: frozenset[str]) -> list[Read]:
        nodes = [n for n in self.container if local(n) in FLOW_NODES]
        by_id = {n.get("id"): n for n in nodes}
        preds: dict[str, list[str]] = {i: [] for i in by_id}
        for flow in self.container.iterfind(f"{{{BPMN_NS}}}sequenceFlow"):
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in by_id and target in by_id:
                preds[target].append(source)
        sets = {i: self.sets(n) for i, n in by_id.items()}
        attached = {
            i: n.get("attachedToRef") for i, n in by_id.items() if local(n) == "boundaryEvent"
        }
        entry: dict[str, Names] = {}
        exit_: dict[str, Names] = {i: None for i in by_id}
        roots = {i for i in by_id if not preds[i] and i not in attached}
        for _ in range(4 * len(by_id) + 4):  # intersections only shrink: a fixpoint is near
            changed = False
            for i in by_id:
                if i in attached:
                    host = attached[i] or ""
                    value = entry.get(host) if host in by_id else start
                elif i in roots:
                    value = start
                elif local(by_id[i]) == "parallelGateway":  # a join waits for every branch
                    value = frozenset()
                    for p in preds[i]:
                        value = _union(value, exit_[p])
                else:
                    value = None
                    for p in preds[i]:
                        value = _meet(value, exit_[p])
                made = sets[i]
                out = None if made is None else _join(value, made)
                if entry.get(i, ...) != value or exit_[i] != out:
                    entry[i], exit_[i] = value, out
                    changed = True
            if not changed:
                break
        for i, node in by_id.items():
            self._check(node, entry.get(i), exit_[i])
        for flow in self.container.iterfind(f"{{{BPMN_NS}}}sequenceFlow"):
            condition = _text(flow, f"{{{BPMN_NS}}}conditionExpression")
            source = flow.get("sourceRef")
            if condition and source in by_id:
                self._need(flow, expression_reads(condition), exit_[source], "condiția")
        return self.missing

    def _need(self, element: Any, names: Iterable[str], have: Names, where: str) -> None:
        if have is None:
            return
        for name in sorted(set(names) - have):
            self.missing.append(Read(element, name, where, have))

    def _check(self, node: Any, entry: Names, exit_: Names) -> None:
        kind = local(node)
        loop = node.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics")
        item = loop.find(f"{{{BPMN_NS}}}inputDataItem") if loop is not None else None
        have = entry if item is None else _join(entry, {item.get("name") or item.get("id") or ""})
        pre = _text(node, f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}preScript")
        have = self._script(node, pre, have, "scriptul preScript")
        if kind in ("userTask", "manualTask"):
            lane = self.lanes.get(node.get("id") or "", "")
            if lane.startswith("{") and lane.endswith("}"):
                self._need(node, {lane[1:-1].strip()}, entry, "culoarul")
        if kind == "scriptTask":
            self._script(node, _text(node, f"{{{BPMN_NS}}}script"), have, "scriptul")
        if loop is not None:
            count = _text(loop, f"{{{BPMN_NS}}}loopCardinality")
            self._need(
                node, expression_reads(count) if count else set(), entry, "numărul de instanțe"
            )
            collection = _text(loop, f"{{{BPMN_NS}}}loopDataInputRef")
            if collection:
                self._need(node, {collection}, entry, "colecția buclei")
        for rule in ("check", "lateWhen"):  # evaluated on the data with the form's answer
            text = _property(node, rule)
            if text:
                self._need(node, expression_reads(text), exit_, f"regula {rule}")
        standard = node.find(f"{{{BPMN_NS}}}standardLoopCharacteristics")
        if standard is not None:
            condition = _text(standard, f"{{{BPMN_NS}}}loopCondition")
            if condition:
                self._need(node, expression_reads(condition), exit_, "condiția buclei")
        for timer in node.iterfind(f"{{{BPMN_NS}}}timerEventDefinition"):
            for what in ("timeDate", "timeDuration", "timeCycle"):
                text = _text(timer, f"{{{BPMN_NS}}}{what}")
                if text:
                    self._need(node, expression_reads(text), entry, "temporizatorul")
        if (
            kind in ("subProcess", "transaction", "adHocSubProcess")
            and entry is not None
            and node.get("triggeredByEvent") != "true"  # an event subprocess starts any time
        ):
            inner = Flow(node, self.form_fields, self.called_sets, self.lanes)
            self.missing += inner.run(entry)
        post = _text(node, f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}postScript")
        if post and exit_ is not None:
            self._script(node, post, exit_, "scriptul postScript")

    def _script(self, node: Any, text: str, have: Names, where: str) -> Names:
        if not text:
            return have
        for name, used in script_lines(text):
            self._need(node, used, have, where)
            have = _join(have, {name})
        return have


def all_sets(
    container: Any,
    form_fields: Callable[[Any], set[str] | None],
    called_sets: Callable[[str], set[str] | None],
) -> set[str] | None:
    """Return every variable a process or subprocess may set (None: unknown)."""
    flow = Flow(container, form_fields, called_sets, {})
    out: set[str] = set()
    for node in container:
        if local(node) in FLOW_NODES:
            made = flow.sets(node)
            if made is None:
                return None
            out |= made
    return out
