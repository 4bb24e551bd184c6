"""Diagrams are checked before they run: `circuit bpmn check`, deployment and `db upgrade`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.models import ProcessVersion
from engine.platform.config import PROJECT_ROOT
from engine.workflow import definitions
from engine.workflow.lint import DiagramRefused, check_file, check_paths
from scripts.cli import main
from tests.support.cli import circuit as run_circuit
from tests.support.expressions import ESCAPES

# shared/ lies beside the repository in CI, two levels up in a work tree.
CONFORMANCE = next(
    (
        base / "shared" / "conformance" / "bpmn-miwg"
        for base in (PROJECT_ROOT.parent, PROJECT_ROOT.parent.parent, Path("/work"))
        if (base / "shared" / "conformance" / "bpmn-miwg").is_dir()
    ),
    Path("shared/conformance/bpmn-miwg"),
)
LINE = re.compile(r"^(?P<file>.+?): (?P<id>\S+) „(?P<name>[^”\n]*)”: (?P<what>.+) Remediere: .+$")

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="taxa" name="Taxă" isExecutable="{executable}">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane_urb" name="urbanism">
      <bpmn:flowNodeRef>{start}</bpmn:flowNodeRef><bpmn:flowNodeRef>calcul</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>{lane_task}</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>sfarsit</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="{start}"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calcul" name="Calcul taxă"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw" name="Taxă mare?" {default}>
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f_mare</bpmn:outgoing><bpmn:outgoing>f_mica</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_mare" name="Mare" sourceRef="gw" targetRef="semnare">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}\
</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_mica" name="Mică" sourceRef="gw" targetRef="sfarsit">
      {other_condition}
    </bpmn:sequenceFlow>
    <bpmn:userTask id="semnare" name="Semnare">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_mare</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="reamintire" name="Reamintire" cancelActivity="false"
      attachedToRef="semnare">
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t1">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="reamintit"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="sfarsit" name="Gata"><bpmn:incoming>f_mica</bpmn:incoming>
      <bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="{start}" targetRef="calcul" />
    <bpmn:sequenceFlow id="f2" sourceRef="calcul" targetRef="gw" />
    <bpmn:sequenceFlow id="f3" sourceRef="semnare" targetRef="sfarsit" />
    <bpmn:sequenceFlow id="f4" sourceRef="reamintire" targetRef="reamintit" />
  </bpmn:process>
</bpmn:definitions>
"""
GOOD = dict(
    executable="true",
    start="depus",
    lane_task="semnare",
    script="taxa = rotunjire(suprafata * 0.5 + 15, 2)",
    default='default="f_mica"',
    condition="taxa &gt; 100",
    other_condition="",
    form="petitie_aprobare.json",
    timer='moment(termen(cerere["data"], 5))',
)
FORMS = PROJECT_ROOT / "forms"


def write(folder: Path, **changes: str) -> Path:
    path = folder / "taxa.bpmn"
    path.write_text(DIAGRAM.format(**{**GOOD, **changes}), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, **changes: str) -> dict[str, list[str]]:
    """Return the problems found in the diagram with these changes, by element id."""
    found: dict[str, list[str]] = {}
    for problem in check_file(write(tmp_path, **changes), FORMS):
        found.setdefault(problem.element, []).append(problem.what)
    return found


def test_the_repositorys_diagrams_and_a_good_one_pass(tmp_path):
    assert check_paths([PROJECT_ROOT / "bpmn"], FORMS) == []
    data = PROJECT_ROOT / "tests" / "data" / "expr"
    assert check_paths([data / "bpmn"], data / "forms") == []
    assert problems_of(tmp_path) == {}


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_deploy_refuses_every_escape_naming_file_and_element(circuit, tmp_path, script):
    write(tmp_path, script=script.replace("<", "&lt;"))
    with circuit.db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(ProcessVersion))
        with pytest.raises(DiagramRefused) as info:
            entry = {"id": "taxa", "bpmn": "taxa.bpmn", "process_id": "taxa", "start_form": ""}
            definitions.deploy(s, tmp_path, FORMS, entry)
        assert s.scalar(select(func.count()).select_from(ProcessVersion)) == before
    # The entry lacks a title and a deadline too: each said; the script named once.
    [problem] = [p for p in info.value.problems if p.element == "calcul"]
    assert problem.name == "Calcul taxă"
    assert problem.file.endswith("taxa.bpmn")
    assert LINE.match(problem.line())


@pytest.mark.parametrize(
    "changes, element, words",
    [
        ({"condition": "taxa.__class__"}, "f_mare", "atribute"),
        ({"condition": "'{0.__class__}'.format(taxa)"}, "f_mare", "format"),
        ({"condition": "[t for t in taxa]"}, "f_mare", "comprehensiuni"),
        ({"condition": ""}, "f_mare", "goală"),
        ({"timer": "moment(azi()).format_map(x)"}, "reamintire", "format_map"),
        ({"timer": "10**10**10"}, "reamintire", "10**100"),
        ({"timer": ""}, "reamintire", "timeDate"),
        ({"script": "x = 1\nwhile True: x = 2"}, "calcul", "nume = expresie"),
        ({"start": "Start"}, "Start", "rezervat"),
        ({"lane_task": "sfarsit"}, "semnare", "culoar"),
        ({"form": "nu_exista.json"}, "semnare", "nu_exista.json"),
        ({"default": ""}, "gw", "implicit"),
        ({"other_condition": ""}, None, None),  # with a default, one bare flow is fine
        ({"executable": "false"}, "taxa", "executabil"),
    ],
)
def test_each_problem_names_its_element(tmp_path, changes, element, words):
    found = problems_of(tmp_path, **changes)
    if element is None:
        assert found == {}
        return
    assert element in found, found
    assert any(words in what for what in found[element]), found[element]


def test_a_gateway_whose_flows_lack_conditions_and_default_is_named(tmp_path):
    found = problems_of(tmp_path, default="", condition="taxa > 1")
    assert "gw" in found  # the second flow, without a condition, is not the default either
    cond = (
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">1</bpmn:conditionExpression>'
    )
    assert problems_of(tmp_path, default="", other_condition=cond)["gw"] == [
        "Toate ramurile au condiții și niciuna nu este implicită: când nicio condiție nu este "
        "adevărată, cererea se blochează."
    ]


def test_bpmn_check_command_exit_codes_and_lines(tmp_path, capsys):
    good = write(tmp_path)
    assert main(["bpmn", "check", str(good), "--forms", str(FORMS)]) == 0
    out, err = capsys.readouterr()  # no catalog entry starts it: a warning, not an error
    assert "Eroare" not in out and "Nicio eroare" in err
    (tmp_path / "rupt.bpmn").write_text("<bpmn:definitions", encoding="utf-8")
    code = main(["bpmn", "check", str(tmp_path / "rupt.bpmn"), str(tmp_path / "lipsa.bpmn"),
                 str(tmp_path / "gol"), "--forms", str(FORMS)])  # fmt: skip
    assert code == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(LINE.match(line) for line in lines), lines
    assert "XML" in lines[0] and "nu există" in lines[1] and "gol" in lines[2]


def test_bpmn_check_on_every_conformance_file_never_crashes(capsys):
    files = sorted(p for p in CONFORMANCE.rglob("*") if p.is_file())
    assert len(files) > 40
    for path in files:
        code = main(["bpmn", "check", str(path), "--forms", str(FORMS)])
        out, err = capsys.readouterr()
        assert code in (0, 1) and "Traceback" not in err
        lines = out.splitlines()
        assert code == (1 if any(": Eroare: " in line for line in lines) else 0), (path, lines)
        for line in lines:
            match = LINE.match(line)
            assert match and match["file"] == str(path), line
    # The models are not executable as they are: each says so, element by element.
    assert main(["bpmn", "check", str(CONFORMANCE)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 50 and all(LINE.match(line) for line in lines)


@pytest.mark.slow  # runs the `circuit` command in processes of its own
def test_db_upgrade_prints_the_problems_and_exits_1(tmp_path):
    diagrams = tmp_path / "bpmn"
    shutil.copytree(PROJECT_ROOT / "bpmn", diagrams)
    petition = diagrams / "petitie.bpmn"
    source = petition.read_text(encoding="utf-8")
    petition.write_text(
        source.replace('decizie_triere == "clasare"', "decizie_triere.__class__"),
        encoding="utf-8",
    )
    r = run_circuit(["db", "upgrade"], tmp_path / "data", CIRCUIT_BPMN_DIR=str(diagrams))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "flow_clasare „Clasare”" in r.stderr and "atribute" in r.stderr
    r = run_circuit(["bpmn", "check", str(petition)], tmp_path / "data")
    assert r.returncode == 1 and r.stdout.count("\n") == 1 and LINE.match(r.stdout.strip())
