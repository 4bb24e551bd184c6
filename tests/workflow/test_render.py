"""`circuit bpmn render`: any modeler's file drawn from its DI, never a crash."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.platform.config import PROJECT_ROOT
from engine.workflow.render import BPMNDI, render_bpmn
from scripts.cli import main
from tests.support.conformance import CONFORMANCE

SVG = "{http://www.w3.org/2000/svg}"


def _planes(path: Path) -> list[list[str]]:
    """Return, per diagram of the file, the elements its shapes draw."""
    root = etree.parse(str(path)).getroot()
    return [
        [shape.get("bpmnElement") for shape in plane.iter(f"{{{BPMNDI}}}BPMNShape")]
        for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane")
    ]


def _drawn(svg: etree._Element, cls: str) -> list[str]:
    return [
        g.get("data-element") for g in svg.iter(f"{SVG}g") if cls in (g.get("class") or "").split()
    ]


def test_every_conformance_file_is_drawn_with_each_of_its_shapes(tmp_path, capsys):
    files = sorted(CONFORMANCE.rglob("*.bpmn"))
    assert len(files) >= 42
    for path in files:
        out = tmp_path / (path.stem + ".svg")
        code = main(["bpmn", "render", str(path), "-o", str(out)])
        err = capsys.readouterr().err
        assert code == 0 and "Traceback" not in err, (path, err)
        svg = etree.parse(str(out)).getroot()
        assert svg.tag == f"{SVG}svg" and svg.get("viewBox")
        shapes = _drawn(svg, "bpmn-shape")
        # Every shape of the diagram drawn, once: the plane drawn is one of the file's.
        assert any(sorted(shapes) == sorted(plane) for plane in _planes(path)), path
        # Flows carry their arrowheads; each named task shows its name.
        assert len(_drawn(svg, "bpmn-edge")) > 0
        texts = " ".join(t for t in svg.itertext())
        root = etree.parse(str(path)).getroot()
        for task in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}task"):
            if task.get("id") in shapes and task.get("name"):
                assert task.get("name").split()[0] in texts, (path, task.get("name"))


def test_elements_without_di_are_named_and_several_diagrams_said(tmp_path, capsys):
    out = tmp_path / "b.svg"
    assert (
        main(["bpmn", "render", str(CONFORMANCE / "reference" / "B.1.0.bpmn"), "-o", str(out)]) == 0
    )
    err = capsys.readouterr().err
    assert "„Abstract Task 8” (task): nu are informații de desen (DI)" in err
    assert "Abstract Task 8" not in out.read_text()
    assert (
        main(["bpmn", "render", str(CONFORMANCE / "reference" / "C.4.0.bpmn"), "-o", str(out)]) == 0
    )
    assert "fișierul are 4 diagrame; am desenat „Onboarding employee”" in capsys.readouterr().err


def test_a_file_that_is_not_a_drawn_bpmn_is_refused_in_romanian(tmp_path, capsys):
    cases = {
        "broken.bpmn": b"<bpmn:definitions",
        "html.bpmn": b"<html><body>nu</body></html>",
        "nodi.bpmn": b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        b'<process id="p"><task id="t" name="Fara desen"/></process></definitions>',
    }
    said = {
        "broken.bpmn": "nu este XML valid: eroare de sintaxă la rândul 1",
        "html.bpmn": "nu este o diagramă BPMN 2.0",
        "nodi.bpmn": "nu conține nicio diagramă desenată (BPMN DI)",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert main(["bpmn", "render", str(path), "-o", str(tmp_path / "x.svg")]) == 1
        out, err = capsys.readouterr()
        assert f"{path}: Eroare: " in err and said[name] in err and "Traceback" not in err
    assert not (tmp_path / "x.svg").exists()
    assert main(["bpmn", "render", str(tmp_path / "absent.bpmn")]) == 1
    assert "nu poate fi citit" in capsys.readouterr().err


def test_the_shipped_procedures_are_drawn_by_kind_with_steps_marked_and_counted():
    source = (PROJECT_ROOT / "bpmn" / "petitie.bpmn").read_bytes()
    root = etree.fromstring(source)
    tasks = [t.get("id") for t in root.iter("{*}userTask")]
    drawn = render_bpmn(source, marks={tasks[0]: "done", tasks[1]: "current"}, counts={tasks[1]: 7})
    svg = etree.fromstring(drawn.svg.encode())
    groups = {g.get("data-element"): g for g in svg.iter(f"{SVG}g") if g.get("data-element")}
    assert "done" in groups[tasks[0]].get("class").split()
    assert "current" in groups[tasks[1]].get("class").split()
    badge = [t for t in groups[tasks[1]].iter(f"{SVG}text")]
    assert [t.text for t in badge] == ["7"]
    assert drawn.without_di == [] and drawn.diagrams == 1
    # Start events thin, end events thick, gateways diamonds.
    kinds = {g.get("class").split()[1] for g in groups.values()}
    assert {"kind-startEvent", "kind-endEvent", "kind-userTask", "kind-sequenceFlow"} <= kinds
    for path in sorted((PROJECT_ROOT / "bpmn").glob("*.bpmn")):
        result = render_bpmn(path.read_bytes())
        assert result.shapes > 3 and result.without_di == [], path
