"""The functions diagram expressions call: legal dates with the running calendar, rounding, text."""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine.deadlines import bridge_days
from engine.workflow import definitions, runtime
from engine.workflow.expressions import ExpressionError, evaluate, execute

SCRIPT_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="termene" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calc" name="Calcul termene"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc" />
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def run_script(session, script: str, data: dict):
    """Run a one-script diagram through the runtime, as a request's first step would."""
    source = SCRIPT_BPMN.format(script=script).encode()
    spec, subs = definitions.parse_bpmn(source, "termene")
    parsed = definitions.ParsedDefinition(0, "termene", spec, subs)
    return runtime.new_workflow(parsed, data, session).data


def test_a_term_across_public_holidays():
    # 24.11.2026 + 5 days, neither end counted: 30.11 (Sf. Andrei), 1.12 (Ziua Națională).
    assert evaluate('termen("2026-11-24", 5)', {}) == "2026-12-02"
    # Working days: 24.12 is one, 25-26.12 are Christmas, 27.12 a Sunday.
    assert evaluate('termen("2026-12-23", 3, "lucratoare")', {}) == "2026-12-29"
    assert evaluate('termen(de_la, 3, tip="working")', {"de_la": "2026-12-23"}) == "2026-12-29"
    assert evaluate('zi_lucratoare("2026-12-25")', {}) == "2026-12-28"


def test_terms_in_scripts_count_the_bridge_days_of_the_running_circuit(circuit):
    with circuit.db.transaction() as s:
        bridge_days.add(s, date(2026, 12, 2), "Zi liberă (punte)")
    with circuit.db.transaction() as s:
        data = run_script(
            s,
            't = termen(depus, 5)\nz = zi_lucratoare("2026-12-02")\n'
            'w = termen("2026-11-27", 2, "lucratoare")',
            {"depus": "2026-11-24"},
        )
    # 2.12 would be the due date; as a bridge day the term moves to 3.12.
    assert data["t"] == "2026-12-03"
    assert data["z"] == "2026-12-03"
    # Working days after Friday 27.11: 30.11, 1.12 and 2.12 are off, so 3.12 and 4.12.
    assert data["w"] == "2026-12-04"


def test_moment_has_romanias_offset_in_summer_and_winter():
    assert evaluate('moment("2026-07-01")', {}) == "2026-07-01T09:00:00+03:00"
    assert evaluate('moment("2026-01-15", "16:30")', {}) == "2026-01-15T16:30:00+02:00"
    # The day of a timer: the due date, at 09:00 Romanian time.
    assert evaluate('moment(termen("2026-11-24", 5))', {}) == "2026-12-02T09:00:00+02:00"


def test_dates_and_instants_are_strings_in_task_data():
    data = execute("a = azi()\nb = acum()\nc = adauga_zile(a, -1)\nd = moment(a)", {})
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", data["a"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00", data["b"])
    assert (
        date.fromisoformat(data["a"]).toordinal() - date.fromisoformat(data["c"]).toordinal() == 1
    )
    assert all(isinstance(v, str) for v in data.values())
    assert evaluate('adauga_zile("2028-02-28", 1)', {}) == "2028-02-29"


def test_rounding_half_up_and_the_spreadsheet_functions():
    assert evaluate("rotunjire(2.675, 2)", {}) == 2.68
    assert evaluate("rotunjire(2.5)", {}) == 3
    assert evaluate("rotunjire(-2.5)", {}) == -3
    assert evaluate("rotunjire(1234, -2)", {}) == 1200
    fee = execute(
        "taxa = rotunjire(suprafata * 0.5 + 15, 2)\ntotal = sum([taxa, 10])\nmare = max(taxa, 100)",
        {"suprafata": 123.45},
    )
    assert fee == {"taxa": 76.73, "total": 86.73, "mare": 100}
    assert evaluate('upper("ș") + lower("ĂÎ")', {}) == "Șăî"
    assert evaluate('contine(lower(titlu), "groapă")', {"titlu": "GROAPĂ în asfalt"}) is True
    assert evaluate('contine(["a", "b"], "b") and not contine("abc", "x")', {}) is True
    assert evaluate('len(x) + abs(-2) + int("3") + float("0.5")', {"x": [1, 2]}) == 7.5
    assert evaluate('str(3) + "/" + str(bool(0))', {}) == "3/False"
    assert evaluate("round(2.5) + round(1.25, 1)", {}) == 3.2


def test_routing_tables_from_the_catalog_are_read_by_key():
    data = {"rutare": {"iluminat": "gospodarie", "caini": "politia_locala"}, "categorie": "caini"}
    assert execute("departament = rutare[categorie]", data) == {"departament": "politia_locala"}


@pytest.mark.parametrize(
    "expression",
    [
        'termen("ieri", 5)',
        'termen("2026-01-01", 0)',
        'termen("2026-01-01", 10**6)',
        'termen("2026-01-01", 5, "saptamani")',
        'moment("2026-01-01", "25:00")',
        'adauga_zile("2026-01-01", 10**9)',
        'rotunjire("3")',
        "sum([1, [2]])",
        "lower(3)",
    ],
)
def test_functions_refuse_values_they_cannot_use(expression):
    with pytest.raises(ExpressionError):
        evaluate(expression, {})
