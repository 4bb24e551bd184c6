"""Diagram expressions cannot escape: refused when read, or stopped at run time by name."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.models import Instance, RegistryEntry, Request
from engine.platform.config import PROJECT_ROOT
from engine.platform.errors import ProcessFailure
from engine.platform.timeutil import local_today
from engine.workflow import definitions, functions, runtime
from engine.workflow import expressions as scripting
from engine.workflow.expressions import (
    ExpressionError,
    evaluate,
    execute,
    parse_expression,
    parse_script,
)
from tests.support.api import complete
from tests.support.circuit import with_test_procedures
from tests.support.expressions import ESCAPES

DATA = PROJECT_ROOT / "tests" / "data" / "expr"
GOOD = {"baza": 2, "exponent": 10, "text": "ab", "repetari": 3, "bucla": False}


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_escape_is_refused_before_anything_runs(script):
    with pytest.raises(ExpressionError) as info:
        parse_script(script)
    assert str(info.value)  # a sentence for the designer, shown by `circuit bpmn check`


def test_conditions_are_single_expressions_under_the_same_rules():
    assert evaluate('decizie == "clasare"', {"decizie": "clasare"}) is True
    assert evaluate("suprafata > 1000 and destinatie == 'comercial'", {
        "suprafata": 1500, "destinatie": "comercial"
    }) is True  # fmt: skip
    assert evaluate('categorie in ["iluminat", "gropi"]', {"categorie": "gropi"}) is True
    for refused in ("decizie.__class__", "decizie.upper()", "x = 1", "a; b", "[x for x in y]"):
        with pytest.raises(ExpressionError):
            parse_expression(refused)


def test_keys_and_values_that_come_from_data_are_checked_when_evaluated():
    with pytest.raises(ExpressionError, match="_"):
        evaluate("d[k]", {"d": {"__class__": 1}, "k": "__class__"})
    with pytest.raises(ExpressionError, match="10\\*\\*100"):
        evaluate("a ** b", {"a": 10, "b": 10**10})
    with pytest.raises(ExpressionError):
        evaluate("s * n", {"s": "ab", "n": 10**9})
    with pytest.raises(ExpressionError):  # nested lists count whole: JSON would expand them
        execute("a = [0] * 60000\nb = [a, a]", {})
    with pytest.raises(ExpressionError):
        execute("x = 10**100 * 10", {})
    # What stays inside the limits works, and tuples are saved as lists.
    assert execute("x = 2 ** 300 // 2 ** 299\ny = (1, 'a')", {}) == {"x": 2, "y": [1, "a"]}


def test_a_step_past_its_time_limit_is_stopped(monkeypatch):
    monkeypatch.setattr(scripting, "STEP_SECONDS", 0.0)
    with scripting.time_limit(), pytest.raises(scripting.StepTimeout):
        evaluate("a + 1", {"a": 1})
    assert evaluate("a + 1", {"a": 1}) == 2  # outside an engine step there is no clock


TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="http://bpmn.io/t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="asteptare" name="Așteptare termen">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t1">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="asteptare" />
    <bpmn:sequenceFlow id="f2" sourceRef="asteptare" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def start_timer(circuit, expression: str):
    spec, subs = definitions.parse_bpmn(TIMER_BPMN.format(expression=expression).encode(), "p")
    with circuit.db.transaction() as s:
        return runtime.new_workflow(definitions.ParsedDefinition(0, "p", spec, subs), {}, s)


def test_timers_take_an_instant_from_their_expression(circuit):
    # A term that starts a year from today, so the timer is pending on whatever day this runs.
    start = (local_today() + timedelta(days=365)).isoformat()
    workflow = start_timer(circuit, f'moment(termen("{start}", 5))')
    pending = workflow.waiting_events()
    due = functions.termen(start, 5)
    assert [e.value for e in pending] == [functions.moment(due)]
    assert pending[0].value.startswith(f"{due}T09:00:00+0")
    assert date.fromisoformat(due) > date.fromisoformat(start)
    assert not workflow.is_completed()
    with pytest.raises(ProcessFailure) as info:
        start_timer(circuit, 'termen("2026-11-24", 5)')  # a date, not an instant
    assert info.value.extra["element"] == "asteptare"
    assert start_timer(circuit, 'moment("2020-01-01")').is_completed()  # due: fires at once


# --- through the API: a procedure whose scripts compute from its forms ---------------------


@pytest.fixture
def circuit(circuit, tmp_path):
    """The test Circuit, with the repository's procedures and tests/data/expr's."""
    return with_test_procedures(circuit, DATA, tmp_path)


def submit(client, headers, n):
    return client.post(
        "/api/v1/requests",
        json={"procedure": "proba_calcul", "data": {"subiect": "Probă", "n": n}},
        headers=headers,
    )


def the_task(client, headers, request_id):
    tasks = client.get("/api/v1/tasks", headers=headers).get_json()["tasks"]
    return next(t for t in tasks if t["request_id"] == request_id)


def counts(circuit):
    with circuit.db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Request)),
            s.scalar(select(func.count()).select_from(RegistryEntry)),
        )


def revision(circuit, request_id):
    with circuit.db.session() as s:
        return s.scalar(select(Instance.revision).where(Instance.request_id == request_id))


def test_the_scripts_run_on_form_data_end_to_end(client, api_for):
    r = submit(client, api_for("citizen"), 3)
    assert r.status_code == 201, r.get_json()
    rid = r.get_json()["id"]
    task = the_task(client, api_for("registry"), rid)
    r = complete(client, api_for("registry"), task["id"], GOOD)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "completed"
    body = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert body["answer"] in (3.0, "3.0")  # len("ababab") * 0.5


def test_a_string_too_long_at_the_start_registers_nothing(client, api_for, circuit):
    citizen = api_for("citizen")
    r = submit(client, citizen, 10**9)
    assert r.status_code == 500
    assert r.get_json()["error"] == "process_error"
    assert r.get_json()["element"] == "pregatire"
    assert counts(circuit) == (0, 0)
    assert client.get("/api/v1/requests", headers=citizen).get_json()["total"] == 0
    # The server answers the next call, and the next request takes the first number.
    r = submit(client, citizen, 2)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["registration"]["number"] == 1


@pytest.mark.parametrize(
    "data, elements",
    [
        ({"baza": 10, "exponent": 10**10}, {"calcul"}),
        ({"text": "a", "repetari": 10**9}, {"calcul"}),
        ({"bucla": True}, {"gw_bucla", "ocol"}),  # an endless loop with no wait state
    ],
    ids=["power", "long string", "endless loop"],
)
def test_a_failing_step_answers_500_naming_it_and_saves_nothing(
    client, api_for, circuit, monkeypatch, data, elements
):
    monkeypatch.setattr(scripting, "STEP_SECONDS", 0.5)  # the loop is stopped sooner
    registry = api_for("registry")
    rid = submit(client, api_for("citizen"), 1).get_json()["id"]
    task = the_task(client, registry, rid)
    before = revision(circuit, rid)

    r = complete(client, registry, task["id"], {**GOOD, **data})
    assert r.status_code == 500
    body = r.get_json()
    assert body["error"] == "process_error"
    assert body["element"] in elements
    assert "Nu s-a salvat nimic" in body["message"]

    assert revision(circuit, rid) == before
    assert the_task(client, registry, rid)["id"] == task["id"]  # still waiting, not lost
    status = client.get(f"/api/v1/requests/{rid}", headers=api_for("citizen")).get_json()
    assert status["status"] == "registered"
    assert counts(circuit) == (1, 1)
    # Corrected data goes through on the same task.
    r = complete(client, registry, task["id"], GOOD)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["request"]["status"] == "completed"
