"""BPMN scripts and conditions run restricted: no imports, no dunders, few builtins."""

from __future__ import annotations

import pytest

from engine import definitions, runtime
from engine.errors import ProcessFailure
from engine.scripting import RestrictedEnvironment, ScriptNotAllowed

SCRIPT_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" \
targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calc" name="Calcul"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc" />
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def run_script(script: str):
    spec, subs = definitions.parse_bpmn(SCRIPT_BPMN.format(script=script).encode(), "p")
    parsed = definitions.ParsedDefinition(0, "p", spec, subs)
    return runtime.new_workflow(parsed, {"zile": 30})


def test_a_plain_script_runs_on_task_data():
    workflow = run_script("termen = zile + 15\nlista = sorted([3, 1, 2])")
    assert workflow.is_completed()
    assert workflow.data["termen"] == 45 and workflow.data["lista"] == [1, 2, 3]


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "x = __import__('os')",
        "x = ().__class__.__bases__[0].__subclasses__()",
        "x = open('/etc/passwd').read()",
        "x = eval('1')",
    ],
)
def test_a_script_cannot_reach_the_system(script):
    with pytest.raises(ProcessFailure) as info:
        run_script(script)
    assert info.value.extra["element"] == "calc"  # the designer is told which element
    assert isinstance(info.value.__cause__.__context__, (ScriptNotAllowed, NameError))


def test_conditions_are_evaluated_restricted():
    env = RestrictedEnvironment()
    assert env.evaluate('decizie == "clasare"', {"decizie": "clasare"}) is True
    with pytest.raises(ScriptNotAllowed):
        env.evaluate("decizie.__class__", {"decizie": "x"})
