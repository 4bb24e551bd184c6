"""The linter's data flow: a variable read where some path has not set it is an error; a
value set on every path (both branches, both sides of a parallel split) is not."""

from __future__ import annotations

from pathlib import Path

from engine.workflow.lint import Context, Start, check_source

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" name="Probă" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane" name="urbanism">{refs}</bpmn:lane></bpmn:laneSet>
{body}
  </bpmn:process>
</bpmn:definitions>
"""


def diagram(nodes: dict[str, str], flows: list[tuple[str, str, str]]) -> bytes:
    """nodes: id -> XML element (without closing tag is fine: given whole); flows: (source,
    target, condition or "")."""
    body = list(nodes.values())
    for i, (source, target, condition) in enumerate(flows):
        cond = (
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
            "</bpmn:conditionExpression>"
            if condition
            else ""
        )
        body.append(
            f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="{target}">{cond}'
            "</bpmn:sequenceFlow>"
        )
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return HEAD.format(refs=refs, body="\n".join(body)).encode()


def script(node_id: str, text: str) -> str:
    return f'<bpmn:scriptTask id="{node_id}"><bpmn:script>{text}</bpmn:script></bpmn:scriptTask>'


def missing(source: bytes, start: set[str] | None = None) -> set[tuple[str, str]]:
    context = Context(starts={"p": Start("p", "p.json", frozenset(start or set()))})
    found = set()
    for p in check_source(source, "p.bpmn", Path("forms"), None, context):
        if p.what.startswith("Variabila"):
            found.add((p.element, p.what.split("„")[1].split("”")[0]))
    return found


def test_a_value_set_on_one_branch_only_is_missing_after_the_merge():
    nodes = {
        "s": '<bpmn:startEvent id="s"/>',
        "gw": '<bpmn:exclusiveGateway id="gw" default="f2"/>',
        "a": script("a", "taxa = 10"),
        "b": script("b", "alt = 1"),
        "m": '<bpmn:exclusiveGateway id="m"/>',
        "c": script("c", "total = taxa + 1"),
        "e": '<bpmn:endEvent id="e"/>',
    }
    flows = [("s", "gw", ""), ("gw", "a", "mare"), ("gw", "b", ""), ("a", "m", ""),
             ("b", "m", ""), ("m", "c", ""), ("c", "e", "")]  # fmt: skip
    assert missing(diagram(nodes, flows), {"mare"}) == {("c", "taxa")}
    nodes["b"] = script("b", "taxa = 0")  # set on both branches: fine
    assert missing(diagram(nodes, flows), {"mare"}) == set()
    assert missing(diagram(nodes, flows)) == {("f1", "mare")}  # the condition reads it


def test_both_sides_of_a_parallel_split_are_set_after_the_join():
    nodes = {
        "s": '<bpmn:startEvent id="s"/>',
        "split": '<bpmn:parallelGateway id="split"/>',
        "a": script("a", "x = 1"),
        "b": script("b", "y = 2"),
        "join": '<bpmn:parallelGateway id="join"/>',
        "c": script("c", "z = x + y"),
        "e": '<bpmn:endEvent id="e"/>',
    }
    flows = [("s", "split", ""), ("split", "a", ""), ("split", "b", ""), ("a", "join", ""),
             ("b", "join", ""), ("join", "c", ""), ("c", "e", "")]  # fmt: skip
    assert missing(diagram(nodes, flows)) == set()


def test_a_loop_does_not_set_what_its_first_turn_reads():
    nodes = {
        "s": '<bpmn:startEvent id="s"/>',
        "m": '<bpmn:exclusiveGateway id="m"/>',
        "a": script("a", "n = contor + 1\ncontor = n"),
        "gw": '<bpmn:exclusiveGateway id="gw" default="f4"/>',
        "e": '<bpmn:endEvent id="e"/>',
    }
    flows = [("s", "m", ""), ("m", "a", ""), ("a", "gw", ""), ("gw", "m", "n &lt; 3"),
             ("gw", "e", "")]  # fmt: skip
    assert missing(diagram(nodes, flows)) == {("a", "contor")}
    assert missing(diagram(nodes, flows), {"contor"}) == set()


def test_the_engines_own_names_and_functions_are_known():
    nodes = {
        "s": '<bpmn:startEvent id="s"/>',
        "a": script("a", 'zi = termen(cerere["data"], 5)\nt = moment(zi)\nx = len(petent)'),
        "e": '<bpmn:endEvent id="e"/>',
    }
    assert missing(diagram(nodes, [("s", "a", ""), ("a", "e", "")]), {"cerere", "petent"}) == set()
