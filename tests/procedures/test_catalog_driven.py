"""Every procedure in the catalog, whatever it is, driven through the API with data made
from its own forms; and the checks that make that possible for designers' files."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from tests.support.citizens import represent
from tests.support.drive import (
    FINAL,
    checked,
    complete,
    detail,
    officials_of,
    reply,
    sample_files,
    sample_form,
    submit,
    tasks_of,
    waiting_timers,
)
from tests.support.seed import DEPARTMENTS, PEOPLE

OURS = {"sesizare", "adeverinta_arhiva", "audienta_primar"}  # this branch's procedures
MAX_STEPS = 40  # tasks and replies on one request before it must have ended
STAFFED = sorted({d for (_, _, depts, _) in PEOPLE.values() for d in depts})
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FLOW_NODES = (
    "task userTask scriptTask serviceTask manualTask sendTask receiveTask businessRuleTask "
    "callActivity subProcess startEvent endEvent intermediateCatchEvent "
    "intermediateThrowEvent boundaryEvent exclusiveGateway parallelGateway "
    "inclusiveGateway eventBasedGateway"
).split()


def _choice(direction: str, visit: int) -> int:
    """The first (or last) option on a first visit; the next one each time a step repeats."""
    return visit if direction == "first" else -1 - visit


def _find_task(client: Any, api_for: Any, request_id: int) -> dict[str, Any] | None:
    for department in STAFFED:
        found = tasks_of(client, api_for(officials_of(department)[0]), request_id)
        if found:
            return found[0]
    return None


def _complete(client: Any, api_for: Any, task: dict[str, Any], choice: int) -> str:
    """Complete a task as someone allowed to; try other options if the data is refused."""
    people = officials_of(task["department"])
    if task.get("role") == "head":
        people = [p for p in people if task["department"] in PEOPLE[p][3]]
    assert people, f"nobody works in {task['department']} to do „{task['name']}”"
    refusals = []
    for attempt in range(6):
        data = sample_form(task["form"] or {"type": "object"}, choice + attempt)
        for who in people:
            r = complete(client, api_for(who), task["id"], data)
            if r.status_code == 200:
                return str(r.get_json()["request"]["status"])
            if r.status_code != 403:
                refusals.append((who, r.status_code, r.get_json()))
                break
    raise AssertionError(f"„{task['name']}” could not be completed: {refusals}")


def drive(client: Any, api_for: Any, circuit: Any, proc: dict[str, Any], direction: str) -> str:
    """Submit a request with generated data and work it to its end; return the final status,
    or "timer" when it waits only for a timer."""
    citizen = api_for("citizen")
    data = sample_form(proc["start_form"], _choice(direction, 0))
    for kind, field in circuit.catalog.get(proc["id"]).represented.items():
        if data.get(field):  # another taxpayer: the citizen holds an accepted împuternicire
            party = {kind.removesuffix("_field"): data[field]}
            represent(client, api_for, "citizen", "Contribuabil reprezentat", **party)
    r = submit(client, citizen, proc["id"], data, sample_files(proc["attachments"]))
    assert r.status_code == 201, (proc["id"], data, r.get_json())
    request_id = r.get_json()["id"]
    visits: Counter[str] = Counter()
    for _ in range(MAX_STEPS):
        page = detail(client, citizen, request_id)
        if page["status"] in FINAL:
            return str(page["status"])
        waiting = page["waiting_for"]
        if waiting is not None:
            form = waiting.get("form") or {"type": "object"}
            key = "reply:" + json.dumps(form.get("properties", {}), sort_keys=True)
            choice = _choice(direction, visits[key])
            visits[key] += 1
            r = reply(
                client,
                citizen,
                request_id,
                sample_form(form, choice),
                sample_files(waiting.get("attachments") or []),
            )
            assert r.status_code == 200, (proc["id"], waiting, r.get_json())
            continue
        task = _find_task(client, api_for, request_id)
        if task is None:
            assert waiting_timers(circuit, request_id), (
                f"{proc['id']}: {page['status']} with no task, no question and no timer",
                page["steps"],
            )
            return "timer"
        key = f"task:{task['name']}"
        choice = _choice(direction, visits[key])
        visits[key] += 1
        _complete(client, api_for, task, choice)
    raise AssertionError(f"{proc['id']} did not end within {MAX_STEPS} steps: {visits}")


@pytest.mark.parametrize("direction", ["first", "last"])
def test_every_procedure_in_the_catalog_runs_to_an_end_with_data_from_its_forms(
    client, api_for, circuit, direction
):
    r = checked(client.get("/api/v1/procedures"))
    procedures = r.get_json()["procedures"]
    assert {p["id"] for p in procedures} == {p.id for p in circuit.catalog.all()}
    outcomes = {p["id"]: drive(client, api_for, circuit, p, direction) for p in procedures}
    assert set(outcomes.values()) <= FINAL | {"timer"}, outcomes
    if direction == "first":  # the first options lead somewhere final in our own catalog
        ours = OURS & set(outcomes)
        assert {outcomes[p] for p in ours} <= {"completed"}, outcomes


# ---------------------------------------------------------------- the designers' files


def _field_schemas(schema: Any, path: str = ""):
    """Yield (path, name, subschema) for every property declared anywhere in a schema."""
    if isinstance(schema, dict):
        for name, prop in (schema.get("properties") or {}).items():
            yield f"{path}/{name}", name, prop
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    yield from _field_schemas(prop, f"{path}/{name}")
            elif key not in ("examples", "const", "default", "enum"):
                yield from _field_schemas(value, path)
    elif isinstance(schema, list):
        for item in schema:
            yield from _field_schemas(item, path)


def _all_forms(circuit: Any) -> list[str]:
    return sorted(p.name for p in circuit.settings.forms_dir.glob("*.json"))


def test_every_field_checked_beyond_its_type_carries_a_valid_example(circuit):
    problems = []
    forms = _all_forms(circuit)
    assert forms
    for filename in forms:
        schema = json.loads((circuit.settings.forms_dir / filename).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        declared = schema.get("properties", {})
        for path, name, prop in _field_schemas(schema):
            if not isinstance(prop, dict) or not ({"pattern", "format"} & set(prop)):
                continue
            examples = prop.get("examples") or declared.get(name, {}).get("examples")
            if not examples:
                problems.append(f"{filename}{path}: a pattern or format without examples")
                continue
            check = Draft202012Validator(prop, format_checker=Draft202012Validator.FORMAT_CHECKER)
            problems += [
                f"{filename}{path}: example {value!r} is not valid: {e.message}"
                for value in examples
                for e in check.iter_errors(value)
            ]
    assert not problems, "\n".join(problems)


def _diagram(circuit: Any, filename: str) -> etree._ElementTree:
    return etree.parse(str(circuit.settings.bpmn_dir / filename))


def test_every_diagram_in_the_catalog_is_laid_out_and_names_staffed_departments(circuit):
    with circuit.db.session() as s:
        known = {code for code, _ in circuit.departments(s)}
    assert set(DEPARTMENTS) <= known
    problems = []
    for proc in circuit.catalog.all():
        tree = _diagram(circuit, proc.bpmn)
        drawn = {e.get("bpmnElement") for e in tree.iter(f"{{{DI}}}BPMNShape")}
        edges = {
            e.get("bpmnElement"): len(e.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint"))
            for e in tree.iter(f"{{{DI}}}BPMNEdge")
        }
        where = f"{proc.id} ({proc.bpmn})"
        if not (circuit.settings.forms_dir / proc.start_form).is_file():
            problems.append(f"{where}: start form {proc.start_form} is missing")
        for tag in [*FLOW_NODES, "lane", "participant"]:
            for element in tree.iter(f"{{{BPMN}}}{tag}"):
                if element.get("id") not in drawn:
                    problems.append(f"{where}: {tag} {element.get('id')} has no shape")
        for flow in tree.iter(f"{{{BPMN}}}sequenceFlow"):
            if edges.get(flow.get("id"), 0) < 2:
                problems.append(f"{where}: flow {flow.get('id')} has no edge with waypoints")
        for lane in tree.iter(f"{{{BPMN}}}lane"):
            name = (lane.get("name") or "").strip()
            if name == "solicitant" or (name.startswith("{") and name.endswith("}")):
                continue
            if name not in known:
                problems.append(f"{where}: lane „{name}” is not a department")
            elif proc.id in OURS and name not in STAFFED:
                problems.append(f"{where}: nobody works in „{name}”")
        for prop in tree.iter(f"{{{SPIFF}}}property"):
            if prop.get("name") == "formJsonSchemaFilename":
                if not (circuit.settings.forms_dir / prop.get("value")).is_file():
                    problems.append(f"{where}: form {prop.get('value')} is missing")
    assert not problems, "\n".join(problems)
