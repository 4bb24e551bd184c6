"""Check BPMN files before they run: expressions, and the SpiffWorkflow facts that bite.

Each problem names the file, the element (id and name), what is wrong and how to fix it,
in Romanian, for the process designer. `circuit bpmn check` prints them and deployment
refuses a diagram that has any.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.workflow.expressions import ExpressionError, parse_expression, parse_script

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Problem:
    """Something that stops a process from running, with where it is and how to fix it."""

    file: str
    element: str
    name: str
    what: str
    fix: str

    def line(self) -> str:
        """Return the problem as one line: file, element id and name, what, fix."""
        name = " ".join(self.name.split())
        what, fix = " ".join(self.what.split()), " ".join(self.fix.split())
        return f"{self.file}: {self.element or '-'} „{name}”: {what} Remediere: {fix}"


class DiagramRefused(Exception):
    """A diagram with problems was refused; `problems` lists them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.line() for p in problems))


def ensure_runnable(path: Path, forms_dir: Path | None = None) -> None:
    """Raise DiagramRefused if the BPMN file has problems."""
    problems = check_file(path, forms_dir)
    if problems:
        raise DiagramRefused(problems)


def check_paths(paths: Iterable[Path], forms_dir: Path | None = None) -> list[Problem]:
    """Check files, and the `.bpmn` files of folders; return every problem."""
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files = sorted(path.rglob("*.bpmn"))
            if not files:
                problems.append(
                    Problem(
                        str(path),
                        "",
                        "",
                        "Dosarul nu conține fișiere .bpmn.",
                        "Dați calea unui fișier .bpmn sau a unui dosar cu diagrame.",
                    )
                )
            for file in files:
                problems.extend(check_file(file, forms_dir))
        else:
            problems.extend(check_file(path, forms_dir))
    return problems


def check_file(path: Path, forms_dir: Path | None = None) -> list[Problem]:
    """Check one BPMN file; return its problems (none when every process can run)."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        why = "nu există" if isinstance(exc, FileNotFoundError) else f"nu poate fi citit ({exc})"
        return [Problem(str(path), "", "", f"Fișierul {why}.", "Verificați calea fișierului.")]
    return check_source(source, str(path), forms_dir, path.parent)


def check_source(
    source: bytes, filename: str, forms_dir: Path | None = None, folder: Path | None = None
) -> list[Problem]:
    """Check the bytes of a BPMN file named `filename`; return its problems."""
    try:
        root = etree.fromstring(source, _PARSER)
    except etree.XMLSyntaxError as exc:
        return [_file_problem(filename, f"Nu este un fișier XML valid: {exc}.")]
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [_file_problem(filename, "Nu este o diagramă BPMN 2.0 (bpmn:definitions).")]
    processes = root.findall("bpmn:process", NS)
    if not processes:
        return [_file_problem(filename, "Fișierul nu conține niciun proces (bpmn:process).")]
    problems: list[Problem] = []
    for process in processes:
        problems.extend(_ProcessCheck(filename, process, forms_dir).run())
    named = {p.element for p in problems}  # SpiffWorkflow's own word only where ours is missing
    problems.extend(
        p for p in _spiff_problems(root, filename, processes, folder) if p.element not in named
    )
    return problems


def _file_problem(filename: str, what: str) -> Problem:
    return Problem(
        filename, "", "", what, "Salvați diagrama din Camunda Modeler sau bpmn.io ca BPMN 2.0."
    )


def _local(element: etree._Element) -> str:
    """Return the BPMN tag of an element without its namespace ("" for other elements)."""
    if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
        return ""
    return etree.QName(element).localname


_EXPRESSION_FIX = (
    'Folosiți doar variabile, operatori, indexare (d["cheie"]) și funcțiile din '
    "docs/designing-procedures.md."
)


class _ProcessCheck:
    """The checks of one bpmn:process that need only its XML."""

    def __init__(self, filename: str, process: etree._Element, forms_dir: Path | None) -> None:
        self.filename = filename
        self.process = process
        self.pid = process.get("id", "")
        self.forms_dir = forms_dir
        self.problems: list[Problem] = []

    def add(self, element: etree._Element, what: str, fix: str) -> None:
        self.problems.append(
            Problem(self.filename, element.get("id", ""), element.get("name", ""), what, fix)
        )

    def run(self) -> list[Problem]:
        if self.process.get("isExecutable", "true") != "true":
            self.add(
                self.process,
                "Procesul nu este executabil.",
                'Bifați „Executable” la proces (isExecutable="true").',
            )
        in_lanes = {
            ref.text.strip()
            for ref in self.process.iterfind(".//bpmn:lane/bpmn:flowNodeRef", NS)
            if ref.text
        }
        for element in self.process.iter():
            kind = _local(element)
            self._reserved_id(element)
            if kind == "sequenceFlow":
                self._condition(element)
            elif kind == "scriptTask":
                self._script(element, element.findtext("bpmn:script", "", NS), "scriptul")
            elif kind == "timerEventDefinition":
                self._timer(element)
            elif kind in ("exclusiveGateway", "inclusiveGateway"):
                self._gateway(element)
            if kind in ("userTask", "manualTask"):
                self._user_task(element, in_lanes)
            for name in ("preScript", "postScript"):
                for extra in element.iterfind(f"bpmn:extensionElements/spiffworkflow:{name}", NS):
                    self._script(element, extra.text or "", name)
        return self.problems

    def _reserved_id(self, element: etree._Element) -> None:
        element_id = element.get("id")
        if element_id in ("Start", "End", f"{self.pid}.EndJoin") and element is not self.process:
            self.add(
                element,
                f"Id-ul „{element_id}” este rezervat de SpiffWorkflow.",
                "Dați elementului alt id, de exemplu „start_cerere” sau „sfarsit”.",
            )

    def _expression(self, element: etree._Element, text: str, what: str) -> None:
        try:
            parse_expression(text)
        except ExpressionError as exc:
            self.add(element, f"{what}: {exc}", _EXPRESSION_FIX)

    def _condition(self, flow: etree._Element) -> None:
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None:
            self._expression(flow, condition.text or "", "Condiția nu poate fi evaluată")

    def _script(self, element: etree._Element, text: str, what: str) -> None:
        try:
            parse_script(text)
        except ExpressionError as exc:
            self.add(
                element,
                f"{what.capitalize()} nu poate rula: {exc}",
                "Scrieți rânduri „nume = expresie”; " + _EXPRESSION_FIX,
            )

    def _timer(self, timer: etree._Element) -> None:
        event = timer.getparent()
        if event is None:  # a timer definition is always inside its event
            return
        values = [timer.find(f"bpmn:{k}", NS) for k in ("timeDate", "timeDuration", "timeCycle")]
        given = [v for v in values if v is not None and (v.text or "").strip()]
        if not given:
            self.add(
                event,
                "Temporizatorul nu are o expresie (timeDate).",
                'Dați un timeDate, de exemplu moment(termen(cerere["data"], 5)).',
            )
            return
        self._expression(event, given[0].text or "", "Expresia temporizatorului nu este corectă")

    def _gateway(self, gateway: etree._Element) -> None:
        flows = [
            f
            for f in self.process.iterfind("bpmn:sequenceFlow", NS)
            if f.get("sourceRef") == gateway.get("id")
        ]
        if len(flows) < 2:
            return
        default = gateway.get("default")
        bare = [
            f
            for f in flows
            if f.find("bpmn:conditionExpression", NS) is None and f.get("id") != default
        ]
        if bare:
            names = ", ".join(f.get("name") or f.get("id") or "" for f in bare)
            self.add(
                gateway,
                f"Ramurile {names} nu au condiție și nu sunt implicite.",
                "Dați fiecărei ramuri o condiție, sau marcați una ca implicită (Default flow).",
            )
        elif not default:
            self.add(
                gateway,
                "Toate ramurile au condiții și niciuna nu este implicită: "
                "când nicio condiție nu este adevărată, cererea se blochează.",
                "Marcați o ramură ca implicită (Default flow).",
            )

    def _user_task(self, task: etree._Element, in_lanes: set[str]) -> None:
        props = {
            p.get("name"): p.get("value", "")
            for p in task.iterfind(
                "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
            )
        }
        if task.get("id") not in in_lanes and not props.get("department"):
            self.add(
                task,
                "Sarcina nu este în niciun culoar (lane), deci nu are departament.",
                "Puneți-o în culoarul departamentului (sau „solicitant”), ori dați-i "
                "proprietatea department.",
            )
        for rule in ("check", "lateWhen"):
            if props.get(rule):
                self._expression(task, props[rule], f"Regula „{rule}” nu este corectă")
        form = props.get("formJsonSchemaFilename")
        if form and self.forms_dir is not None:
            self._form(task, form)

    def _form(self, task: etree._Element, form: str) -> None:
        path = self.forms_dir / form if self.forms_dir is not None else Path(form)
        if Path(form).name != form or not path.is_file():
            self.add(
                task,
                f"Formularul „{form}” nu există în {self.forms_dir}.",
                "Adăugați formularul în dosarul de formulare sau corectați formJsonSchemaFilename.",
            )
            return
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            self.add(
                task,
                f"Formularul „{form}” nu este JSON valid: {exc}.",
                "Corectați fișierul formularului (JSON Schema).",
            )


def _spiff_problems(
    root: etree._Element, filename: str, processes: list[etree._Element], folder: Path | None
) -> list[Problem]:
    """Return what SpiffWorkflow's own parser refuses, per executable process."""
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_xml(root, filename=filename)
        _add_called_files(parser, root, folder)
    except Exception as exc:  # any parser failure is a problem to report, not a crash
        return [_spiff_problem(filename, exc, "", root)]
    problems = []
    for process in processes:
        if process.get("isExecutable", "true") != "true":
            continue
        try:
            parser.get_spec(process.get("id"))
            parser.get_subprocess_specs(process.get("id"))
        except Exception as exc:
            problems.append(_spiff_problem(filename, exc, process.get("id", ""), root))
    return problems


def _add_called_files(parser: SpiffBpmnParser, root: etree._Element, folder: Path | None) -> None:
    """Let the parser see the other files of the folder that define called processes."""
    own = {p.get("id") for p in root.iterfind("bpmn:process", NS)}
    called = {c.get("calledElement") for c in root.iterfind(".//bpmn:callActivity", NS)} - own
    if not called or folder is None:
        return
    for other in sorted(folder.glob("*.bpmn")):
        try:
            tree = etree.parse(str(other), _PARSER).getroot()
        except (etree.XMLSyntaxError, OSError):
            continue
        if {p.get("id") for p in tree.iterfind("bpmn:process", NS)} & called and tree is not root:
            parser.add_bpmn_xml(tree, filename=other.name)


def _spiff_problem(filename: str, exc: Exception, process_id: str, root: etree._Element) -> Problem:
    if isinstance(exc, ValidationException):
        element_id, name = exc.id, exc.name
        if not element_id:  # some messages only name the element ("Data Store with name X")
            named = [e for e in root.iter() if f"name {e.get('name')} " in str(exc)]
            element_id, name = (
                (named[0].get("id", ""), named[0].get("name", "")) if named else ("", "")
            )
        return Problem(
            filename,
            element_id or process_id,
            name or "",
            f"SpiffWorkflow nu poate citi elementul: {_sentence(exc)}",
            "Corectați elementul în modelator după mesaj.",
        )
    return Problem(
        filename,
        process_id,
        "",
        f"SpiffWorkflow nu poate citi procesul: {type(exc).__name__}: {_sentence(exc)}",
        "Corectați diagrama în modelator după mesaj.",
    )


def _sentence(exc: Exception) -> str:
    text = " ".join(str(exc).split()).rstrip(". ")
    return f"{text}."
