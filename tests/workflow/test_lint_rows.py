"""Issue 16's table: each one-line mistake in a shipped procedure is refused by the linter
with its own Romanian message naming file, element and fix, and `db upgrade` does not deploy
it: the procedure keeps its current version while the others are deployed."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from engine.platform.config import PROJECT_ROOT
from engine.workflow import definitions
from engine.workflow.lint import check_folders
from scripts.cli import main
from tests.support.seed import DEPARTMENTS

LINE = re.compile(
    r"^(?P<file>.+?): (?P<id>\S+) „(?P<name>[^”\n]*)”: (?P<kind>Eroare|Atenție): "
    r"(?P<what>.+) Remediere: .+$"
)
KNOWN = frozenset(DEPARTMENTS)
CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
SPIFF_NS = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'


@dataclass(frozen=True)
class Row:
    """A mistake: the file changed, the text replaced (regex, once), and what is said."""

    procedure: str
    file: str
    old: str
    new: str
    element: str
    words: str
    name: str | None = None  # the element's name, when it has one


FOUR_EYES = '<spiffworkflow:property name="role" value="head" />'
VERIFICATION_FORM = 'value="certificat_urbanism_verificare.json" />'
ROWS = {
    "task without outgoing flow": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'<bpmn:sequenceFlow id="flow_aprobare_gw" sourceRef="aprobare" targetRef="gw_aprobare" />',
        "",
        "aprobare",
        "nu are nicio săgeată de ieșire",
        "Aprobare răspuns",
    ),
    "gateway without outgoing flow": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'<bpmn:sequenceFlow id="flow_aprobat"[^>]*/>\s*<bpmn:sequenceFlow id="flow_retrimis".*?'
        r"</bpmn:sequenceFlow>",
        "",
        "gw_aprobare",
        "Poarta nu are nicio săgeată de ieșire",
        "Aprobat?",
    ),
    "flow to a missing target": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'sourceRef="gw_semnare" targetRef="raspuns_transmis"',
        'sourceRef="gw_semnare" targetRef="raspuns_trimis"',
        "flow_semnat",
        "„raspuns_trimis”, care nu există",
        "Semnat",
    ),
    "requeststatus in lower case": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'name="requestStatus" value="rejected"',
        'name="requeststatus" value="rejected"',
        "petitie_clasata",
        "„requeststatus” nu este cunoscută (poate „requestStatus”?)",
        "Petiție clasată",
    ),
    "requestStatus refused": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'name="requestStatus" value="rejected"',
        'name="requestStatus" value="refused"',
        "petitie_clasata",
        "requestStatus „refused” nu este cunoscut",
        "Petiție clasată",
    ),
    "role sef": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'name="role" value="head"',
        'name="role" value="sef"',
        "aprobare",
        "role „sef” nu este cunoscut",
        "Aprobare răspuns",
    ),
    "foureyes in lower case": Row(
        "certificat_urbanism",
        "bpmn/certificat_urbanism.bpmn",
        re.escape(FOUR_EYES),
        FOUR_EYES + '<spiffworkflow:property name="foureyes" value="analiza_tehnica" />',
        "semnare_arhitect",
        "„foureyes” nu este cunoscută (poate „fourEyes”?)",
    ),
    "fourEyes naming no task": Row(
        "certificat_urbanism",
        "bpmn/certificat_urbanism.bpmn",
        re.escape(FOUR_EYES),
        FOUR_EYES + '<spiffworkflow:property name="fourEyes" value="analiza" />',
        "semnare_arhitect",
        "fourEyes numește „analiza”, care nu este o sarcină",
    ),
    "fourEyes naming a later task": Row(
        "certificat_urbanism",
        "bpmn/certificat_urbanism.bpmn",
        re.escape(VERIFICATION_FORM),
        VERIFICATION_FORM + '<spiffworkflow:property name="fourEyes" value="analiza_tehnica" />',
        "verificare_dosar",
        "nu vine înaintea acestei sarcini",
    ),
    "formJsonSchemaFileName typo": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'name="formJsonSchemaFilename" value="petitie_aprobare.json"',
        'name="formJsonSchemaFileName" value="petitie_aprobare.json"',
        "aprobare",
        "„formJsonSchemaFileName” nu este cunoscută (poate „formJsonSchemaFilename”?)",
        "Aprobare răspuns",
    ),
    "lane naming no department": Row(
        "certificat_urbanism",
        "bpmn/certificat_urbanism.bpmn",
        r'<bpmn:lane id="Lane_urbanism" name="urbanism">',
        '<bpmn:lane id="Lane_urbanism" name="comertul">',
        "Lane_urbanism",
        "Culoarul numește compartimentul „comertul”, care nu există",
        "comertul",
    ),
    "department property naming no department": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        re.escape(FOUR_EYES),
        FOUR_EYES + '<spiffworkflow:property name="department" value="comertul" />',
        "aprobare",
        "department numește compartimentul „comertul”, care nu există",
        "Aprobare răspuns",
    ),
    "required field missing from properties": Row(
        "petitie",
        "forms/petitie_aprobare.json",
        r'"required": \["decizie_sef"\]',
        '"required": ["decizie_sef", "motivare"]',
        "aprobare",
        "„motivare” în „required”, dar nu le are în „properties”",
        "Aprobare răspuns",
    ),
    "start form not a JSON Schema": Row(
        "petitie",
        "forms/petitie_start.json",
        r'"type": "object"',
        '"type": "obiect"',
        "start_form",
        "nu este o schemă JSON validă",
    ),
    "undefined variable in a script": Row(
        "audienta_primar",
        "bpmn/audienta_primar.bpmn",
        r'\+ ", la adresa: " \+ loc',
        '+ ", la adresa: " + locul',
        "invitatie",
        "Variabila „locul” (poate „loc”?), citită de scriptul",
        "Pregătire invitație",
    ),
    "condition on a variable no form sets": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'decizie_triere == "clasare"',
        'decizia_triere == "clasare"',
        "flow_clasare",
        "Variabila „decizia_triere” (poate „decizie_triere”?), citită de condiția",
        "Clasare",
    ),
    "timeDate of P25D": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">reamintire_la</bpmn:timeDate>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">P25D</bpmn:timeDate>',
        "reamintire_redactare",
        "timeDate „P25D” este scris fără ghilimele",
        "Reamintire termen",
    ),
    "timeDate of a date, not an instant": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">reamintire_la</bpmn:timeDate>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">termen(cerere["data"], 5)'
        "</bpmn:timeDate>",
        "reamintire_redactare",
        "timeDate cere un moment",
        "Reamintire termen",
    ),
    "termen with an unknown kind of days": Row(
        "informatii_publice",
        "bpmn/informatii_publice.bpmn",
        r'termen_prelungit = termen\(cerere\["data"\], termen_prelungit_zile\)',
        'termen_prelungit = termen(cerere["data"], termen_prelungit_zile, "lucratoar")',
        "calcul_termen_30",
        "felul de zile „lucratoar”, pe care nu îl cunoaște (poate „lucratoare”?)",
        "Calculul termenului de 30 de zile",
    ),
    "deadline kind lucratoare": Row(
        "petitie",
        "processes/petitie.json",
        r'"kind": "calendar"',
        '"kind": "lucratoare"',
        "deadline.kind",
        "„deadline.kind” „lucratoare” nu este cunoscut",
    ),
    "max_file instead of max_files": Row(
        "petitie",
        "processes/petitie.json",
        r'"reminder_days": 25,',
        '"reminder_days": 25, "max_file": 5,',
        "max_file",
        "„max_file” nu este cunoscută (poate „max_files”?)",
    ),
    "camunda:formKey": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'<bpmn:userTask id="aprobare" name="Aprobare răspuns">',
        f'<bpmn:userTask id="aprobare" name="Aprobare răspuns" {CAMUNDA} '
        'camunda:formKey="embedded:app:forms/aprobare.html">',
        "aprobare",
        "Circuit nu citește camunda:formKey",
        "Aprobare răspuns",
    ),
    "zeebe:formDefinition": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'<spiffworkflow:property name="formJsonSchemaFilename" value="petitie_aprobare.json" />'
        r"(.*?</spiffworkflow:properties>)",
        rf'\1<zeebe:formDefinition {ZEEBE} formId="aprobare" />',
        "aprobare",
        "Circuit nu citește zeebe:formDefinition",
        "Aprobare răspuns",
    ),
    "camunda:property role sef": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        re.escape(FOUR_EYES) + r"(.*?</spiffworkflow:properties>)",
        rf"\1<camunda:properties {CAMUNDA}>"
        '<camunda:property name="role" value="sef" /></camunda:properties>',
        "aprobare",
        "role „sef” nu este cunoscut",
        "Aprobare răspuns",
    ),
    "JUEL condition": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'decizie_triere == "clasare"',
        '${decizie_triere == "clasare"}',
        "flow_clasare",
        "este scrisă în JUEL",
        "Clasare",
    ),
    "FEEL condition": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r'decizie_triere == "clasare"',
        '= decizie_triere = "clasare"',
        "flow_clasare",
        "este scrisă în FEEL",
        "Clasare",
    ),
    "multi-instance count no form sets": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r"<bpmn:outgoing>flow_aprobare_gw</bpmn:outgoing>",
        "<bpmn:outgoing>flow_aprobare_gw</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics>"
        '<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">numar_exemplare'
        "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
        "aprobare",
        "Variabila „numar_exemplare”, citită de numărul de instanțe",
        "Aprobare răspuns",
    ),
    "multi-instance count past the bound": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r"<bpmn:outgoing>flow_aprobare_gw</bpmn:outgoing>",
        "<bpmn:outgoing>flow_aprobare_gw</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics>"
        '<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">1000'
        "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
        "aprobare",
        "Numărul de instanțe (1000) depășește limita procedurii (100)",
        "Aprobare răspuns",
    ),
    "loop condition broken": Row(
        "petitie",
        "bpmn/petitie.bpmn",
        r"<bpmn:outgoing>flow_aprobare_gw</bpmn:outgoing>",
        "<bpmn:outgoing>flow_aprobare_gw</bpmn:outgoing><bpmn:standardLoopCharacteristics>"
        '<bpmn:loopCondition xsi:type="bpmn:tFormalExpression">decizie_sef.lower()'
        "</bpmn:loopCondition></bpmn:standardLoopCharacteristics>",
        "aprobare",
        "Condiția buclei (loopCondition)",
        "Aprobare răspuns",
    ),
}


def copy_folders(base: Path) -> Path:
    """Copy the shipped bpmn/, forms/ and processes/ under `base`; return it."""
    for name in ("bpmn", "forms", "processes"):
        shutil.copytree(PROJECT_ROOT / name, base / name)
    return base


def apply(base: Path, row: Row) -> Path:
    path = base / row.file
    text = path.read_text(encoding="utf-8")
    changed, n = re.subn(row.old, lambda m: m.expand(row.new), text, count=1, flags=re.S)
    assert n == 1, f"{row.old!r} not found in {row.file}"
    path.write_text(changed, encoding="utf-8")
    return path


def lint(base: Path, departments: frozenset[str] | None = KNOWN) -> list:
    return check_folders(base / "bpmn", base / "forms", base / "processes", departments=departments)


def test_the_shipped_procedures_have_no_errors(tmp_path):
    problems = lint(copy_folders(tmp_path))
    assert [p.line() for p in problems if p.is_error] == []


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_each_mistake_is_refused_by_the_check_with_its_own_message(
    backend, tmp_path, monkeypatch, capsys, row
):
    base = copy_folders(tmp_path)
    changed = apply(base, row)
    for name in ("bpmn", "forms", "processes"):
        monkeypatch.setenv(f"CIRCUIT_{name.upper()}_DIR", str(base / name))
    monkeypatch.setenv("DATABASE_URL", backend.url)  # the departments of the test database
    assert main(["bpmn", "check"]) == 1
    out, err = capsys.readouterr()
    assert f": {row.element} " in out and row.words in out and "Toate procesele" not in err
    problems = [p for p in lint(base) if p.is_error]
    hits = [p for p in problems if p.element == row.element and row.words in p.what]
    assert len(hits) == 1, [p.line() for p in problems]
    [hit] = hits
    assert hit.file == str(changed) or (
        row.file.startswith("forms/") and hit.file.endswith((".bpmn", ".json"))
    )
    if row.name is not None:
        assert hit.name == row.name
    match = LINE.match(hit.line())
    assert match and match["kind"] == "Eroare", hit.line()
    assert "Remediere: " in hit.line() and len(hit.fix) > 10
    assert not re.search(r"'[^']*' is not|Traceback|When looking", hit.line())
    lines = [p.line() for p in problems]
    assert len(lines) == len(set(lines))  # nothing said twice
    assert not any("When looking" in line or "is not a valid" in line for line in lines)


def test_the_check_command_runs_what_db_upgrade_runs(tmp_path, monkeypatch, capsys):
    base = copy_folders(tmp_path)
    for name in ("bpmn", "forms", "processes"):
        monkeypatch.setenv(f"CIRCUIT_{name.upper()}_DIR", str(base / name))
    assert main(["bpmn", "check"]) == 0
    out, err = capsys.readouterr()
    assert "Eroare" not in out
    apply(base, ROWS["start form not a JSON Schema"])
    apply(base, ROWS["max_file instead of max_files"])
    assert main(["bpmn", "check"]) == 1
    out, err = capsys.readouterr()
    assert "Toate procesele pot rula" not in err
    assert "2 probleme (2 erori, 0 avertismente)" in err, err
    assert all(LINE.match(line) for line in out.splitlines()), out
    apply(base, ROWS["role sef"])
    assert main(["bpmn", "check", str(base / "bpmn" / "petitie.bpmn")]) == 1
    out, err = capsys.readouterr()
    assert "3 probleme (3 erori" in err and "aprobare „Aprobare răspuns”: Eroare: role" in out


def test_an_unchecked_department_is_a_warning_not_an_error(tmp_path):
    base = copy_folders(tmp_path)
    apply(base, ROWS["lane naming no department"])
    assert not [p for p in lint(base, departments=None) if "comertul" in p.what]
    assert [p for p in lint(base) if "comertul" in p.what and p.is_error]


def test_camunda_extension_properties_are_read_as_circuits(tmp_path):
    """A diagram drawn in Camunda Modeler with Extension properties runs as drawn."""
    base = copy_folders(tmp_path)
    path = base / "bpmn" / "petitie.bpmn"
    text = path.read_text(encoding="utf-8").replace(SPIFF_NS, f"{SPIFF_NS} {CAMUNDA}")
    text = text.replace("spiffworkflow:propert", "camunda:propert")
    path.write_text(text, encoding="utf-8")
    assert "spiffworkflow:property" not in text
    assert [p.line() for p in lint(base) if p.is_error] == []
    spec, _ = definitions.parse_bpmn(path.read_bytes(), "petitie", "petitie.bpmn")
    props = spec.task_specs["aprobare"].extensions["properties"]
    assert props["formJsonSchemaFilename"] == "petitie_aprobare.json"
    assert props["role"] == "head" and props["fourEyes"] == "redactare"


def test_plurals_of_the_summary():
    from engine.workflow.lint import count

    said = [count(n, "problemă", "probleme") for n in (1, 2, 19, 20, 101, 120)]
    assert said == [
        "1 problemă",
        "2 probleme",
        "19 probleme",
        "20 de probleme",
        "101 probleme",
        "120 de probleme",
    ]


# --- db upgrade: the broken procedure is refused and keeps its version ------------------


def _current(circuit, procedure):
    with circuit.db.transaction() as s:
        return definitions.current_version(s, procedure)


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_db_upgrade_refuses_each_mistake_and_deploys_the_others(circuit, tmp_path, row):
    base = copy_folders(tmp_path)
    circuit.settings = replace(
        circuit.settings,
        bpmn_dir=base / "bpmn",
        forms_dir=base / "forms",
        processes_dir=base / "processes",
    )
    before = _current(circuit, row.procedure)
    assert before is not None
    other = "sesizare" if row.procedure != "sesizare" else "petitie"
    entry = base / "processes" / f"{other}.json"  # another procedure changes meanwhile
    raw = json.loads(entry.read_text(encoding="utf-8"))
    raw["title"] += " (revizuit)"
    entry.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    apply(base, row)
    report = circuit.deploy_report()
    [refused] = [r for r in report.refused]
    assert refused.procedure == row.procedure
    assert any(p.element == row.element and row.words in p.what for p in refused.problems)
    assert _current(circuit, row.procedure) == before  # still the version in force
    [changed] = [d for d in report.deployed if d.procedure == other]
    assert changed.state in ("new", "again")  # versions stay between tests
    assert changed.changes == ("catalogul: title",)
    assert report.withdrawn == []


def test_a_broken_called_diagram_blocks_its_callers_by_name(circuit, tmp_path):
    base = copy_folders(tmp_path)
    circuit.settings = replace(
        circuit.settings,
        bpmn_dir=base / "bpmn",
        forms_dir=base / "forms",
        processes_dir=base / "processes",
    )
    called = Row(
        "semnatura_primar",
        "bpmn/semnatura_primar.bpmn",
        r'name="role" value="head"',
        'name="role" value="sef"',
        "",
        "",
    )
    apply(base, called)
    report = circuit.deploy_report()
    refused = {r.procedure: r for r in report.refused}
    assert set(refused) == {"atestare_fiscala", "certificat_urbanism"}  # both call it
    for r in refused.values():
        assert any(
            p.file.endswith("semnatura_primar.bpmn") and "role „sef”" in p.what for p in r.problems
        )
    assert "petitie" in {d.procedure for d in report.deployed}


def test_bpmn_check_asks_the_database_for_departments(backend, tmp_path, monkeypatch, capsys):
    base = copy_folders(tmp_path)
    for name in ("bpmn", "forms", "processes"):
        monkeypatch.setenv(f"CIRCUIT_{name.upper()}_DIR", str(base / name))
    monkeypatch.setenv("DATABASE_URL", backend.url)
    apply(base, ROWS["lane naming no department"])
    assert main(["bpmn", "check"]) == 1
    out, err = capsys.readouterr()
    assert "Lane_urbanism „comertul”: Eroare: Culoarul numește compartimentul „comertul”" in out
    assert "nu au fost verificate" not in err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'nu-exista.db'}")
    assert main(["bpmn", "check"]) == 0  # no database: a warning says the lanes were not checked
    out, err = capsys.readouterr()
    assert "comertul" not in out and "compartimentele din culoare nu au fost verificate" in err
