"""Check BPMN files before they run: structure, properties, forms, expressions, data flow,
and the SpiffWorkflow facts that bite.

Each problem names the file, the element (id and name), what is wrong and how to fix it,
in Romanian, for the process designer. `circuit bpmn check` prints them and deployment
refuses a diagram that has any error.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.workflow.expressions import ExpressionError, parse_expression, parse_script
from engine.workflow.lint import dataflow, vendor
from engine.workflow.lint.dataflow import ACTIVITIES, EVENTS, GATEWAYS, local
from engine.workflow.lint.problems import WARNING, Problem, suggestion, unique

BPMN_NS = vendor.BPMN_NS
SPIFF_NS = vendor.SPIFF_NS
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

APPLICANT_LANE = "solicitant"  # as engine.workflow.spifftasks.APPLICANT_LANE
REGISTRY_LANE = "registratura"
ROLES = {"head": "șeful compartimentului"}
END_STATUSES = ("completed", "rejected", "withdrawn")
RECIPIENTS = ("applicant", "department", "head")
TASKS = ("userTask", "manualTask")
TIMER_EVENTS = ("boundaryEvent", "intermediateCatchEvent", "startEvent")
# The properties Circuit reads, and the elements each has an effect on.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "formJsonSchemaFilename": TASKS,
    "messageVariable": TASKS,
    "notifyApplicant": (*TASKS, "endEvent"),
    "role": TASKS,
    "department": (*TASKS, *TIMER_EVENTS),
    "fourEyes": TASKS,
    "requestStatus": ("endEvent",),
    "timerMessage": TIMER_EVENTS,
    "timerRecipients": TIMER_EVENTS,
    "dueDateVariable": TASKS,
    "signature": TASKS,
    "check": TASKS,
    "checkMessage": TASKS,
    "checkField": TASKS,
    "lateWhen": TASKS,
    "lateMessage": TASKS,
    "requiresDocument": TASKS,
    "requiresDocumentMessage": TASKS,
    "answerVariable": ("endEvent",),
}
RULES = ("check", "lateWhen")  # expressions on a task's data with its form's answer
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ISO_DURATION = re.compile(
    r"^-?P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
_ISO_LITERAL = re.compile(r"^(R\d*/)?(P[0-9T].*|\d{4}-\d{2}-\d{2}.*)$")
_INSTANT_FUNCTIONS = ("moment", "acum")
DEADLINE_KINDS = ("calendar", "calendaristice", "working", "lucratoare", "lucrătoare")


@dataclass(frozen=True)
class Start:
    """What a catalog entry gives a process when a request starts it."""

    procedure: str
    catalog_file: str
    fields: frozenset[str]  # start form fields, catalog variables, the engine's own names
    max_instances: int = 100


@dataclass(frozen=True)
class Context:
    """What the linter knows beyond the file: catalog entries, departments."""

    starts: Mapping[str, Start] = field(default_factory=dict)  # by process id
    catalog: bool = False  # a catalog was read: a process no entry starts is said so
    departments: frozenset[str] | None = None  # None: not known (no database)
    registry: str = REGISTRY_LANE
    named: frozenset[str] = frozenset()  # process ids catalog entries name, broken ones too


def check_file(
    path: Path, forms_dir: Path | None = None, context: Context | None = None
) -> list[Problem]:
    """Check one BPMN file; return its problems (none when every process can run)."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        why = "nu există" if isinstance(exc, FileNotFoundError) else f"nu poate fi citit ({exc})"
        return [Problem(str(path), "", "", f"Fișierul {why}.", "Verificați calea fișierului.")]
    return check_source(source, str(path), forms_dir, path.parent, context)


def check_source(
    source: bytes,
    filename: str,
    forms_dir: Path | None = None,
    folder: Path | None = None,
    context: Context | None = None,
) -> list[Problem]:
    """Check the bytes of a BPMN file named `filename`; return its problems."""
    context = context or Context()
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
    for process in processes:  # before the properties are read as Circuit's
        problems.extend(_vendor_problems(filename, process))
    vendor.to_spiff(root)
    forms = _Forms(forms_dir)
    called = _CalledProcesses(root, folder, forms)
    for process in processes:
        problems.extend(_ProcessCheck(filename, process, forms, context, called).run())
    if not any(p.is_error and p.what.startswith(_BROKEN_FLOW) for p in problems):
        named = {p.element for p in problems}  # SpiffWorkflow's own word only where ours is missing
        problems.extend(
            p for p in _spiff_problems(root, filename, processes, folder) if p.element not in named
        )
    return unique(problems)


_BROKEN_FLOW = "Fluxul duce"


def _file_problem(filename: str, what: str) -> Problem:
    return Problem(
        filename, "", "", what, "Salvați diagrama din Camunda Modeler sau bpmn.io ca BPMN 2.0."
    )


_EXPRESSION_FIX = (
    'Folosiți doar variabile, operatori, indexare (d["cheie"]) și funcțiile din '
    "docs/designing-procedures.md."
)


class _Forms:
    """The forms of a folder, read once, with what is wrong with each."""

    def __init__(self, forms_dir: Path | None) -> None:
        self.dir = forms_dir
        self._read: dict[str, tuple[dict[str, Any] | None, str | None]] = {}

    def get(self, name: str) -> tuple[dict[str, Any] | None, str | None]:
        """Return (schema, None) or (None, what is wrong) for a form file name."""
        if name not in self._read:
            self._read[name] = form_problem(self.dir, name) if self.dir is not None else (None, "")
        return self._read[name]

    def fields(self, name: str | None) -> set[str] | None:
        if not name:
            return set()
        schema, _ = self.get(name)
        return None if schema is None else form_fields(schema)


def form_problem(forms_dir: Path, name: str) -> tuple[dict[str, Any] | None, str | None]:
    """Read a form as deployment does; return (schema, None) or (None, what is wrong)."""
    path = forms_dir / name
    if Path(name).name != name or not path.is_file():
        return None, f"Formularul „{name}” nu există în {forms_dir}."
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        return None, f"Formularul „{name}” nu este JSON valid: {exc}."
    if not isinstance(schema, dict):
        return None, f"Formularul „{name}” trebuie să fie un obiect JSON Schema."
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "rădăcină"
        value = json.dumps(exc.instance, ensure_ascii=False)
        value = value if len(value) <= 60 else value[:57] + "..."
        return None, (
            f"Formularul „{name}” nu este o schemă JSON validă: la „{where}”, valoarea {value} "
            f"nu este permisă (regula JSON Schema „{exc.validator}”)."
        )
    missing = required_missing(schema)
    if missing:
        names = ", ".join(f"„{m}”" for m in missing)
        return None, (
            f"Formularul „{name}” cere câmpurile {names} în „required”, dar nu le are în "
            "„properties”: formularul nu poate fi completat niciodată."
        )
    return schema, None


def required_missing(schema: Any, outer: frozenset[str] | None = None) -> list[str]:
    """Return the `required` names a schema (or an object nested in it) does not define;
    `if`/`then`/`allOf`... apply to the same object, so they see its properties."""
    if not isinstance(schema, dict):
        return []
    defined = set(outer or ()) | set(schema.get("properties") or {})
    for key in _SAME_OBJECT:
        for sub in _subschemas(schema.get(key)):
            defined |= set(sub.get("properties") or {})
    missing: list[str] = []
    required = schema.get("required")
    closed = schema.get("additionalProperties") is False or outer is not None
    if isinstance(required, list) and (closed or "properties" in schema):
        missing += [str(r) for r in required if r not in defined]
    for key in _SAME_OBJECT:
        for sub in _subschemas(schema.get(key)):
            missing += required_missing(sub, frozenset(defined))
    for prop in (schema.get("properties") or {}).values():
        missing += required_missing(prop)
    for key in ("items", "additionalProperties"):
        missing += required_missing(schema.get(key))
    return list(dict.fromkeys(missing))


_SAME_OBJECT = ("allOf", "anyOf", "oneOf", "if", "then", "else", "not", "dependentSchemas")


def _subschemas(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        if (
            all(isinstance(v, dict) for v in value.values())
            and "properties" not in value
            and ("type" not in value and "required" not in value)
        ):
            return [v for v in value.values()]  # dependentSchemas: {name: schema}
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def form_fields(schema: dict[str, Any]) -> set[str]:
    """Return the top-level field names a form may set (in any of its branches)."""
    out = set((schema.get("properties") or {}).keys())
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            if isinstance(sub, dict):
                out |= form_fields(sub)
    for key in ("then", "else"):
        if isinstance(schema.get(key), dict):
            out |= form_fields(schema[key])
    for sub in (schema.get("dependentSchemas") or {}).values():
        if isinstance(sub, dict):
            out |= form_fields(sub)
    attachments = schema.get("x-attachments") or []
    out |= {str(a.get("name")) for a in attachments if isinstance(a, dict) and a.get("name")}
    return out


class _CalledProcesses:
    """What the processes called by call activities set, from this file or its folder."""

    def __init__(self, root: Any, folder: Path | None, forms: _Forms) -> None:
        self.root, self.folder, self.forms = root, folder, forms
        self._index: dict[str, Any] | None = None
        self._busy: set[str] = set()

    def _processes(self) -> dict[str, Any]:
        if self._index is None:
            self._index = {p.get("id"): p for p in self.root.iterfind("bpmn:process", NS)}
            for other in sorted(self.folder.glob("*.bpmn")) if self.folder else []:
                try:
                    tree = etree.parse(str(other), _PARSER).getroot()
                except (etree.XMLSyntaxError, OSError):
                    continue
                vendor.to_spiff(tree)
                for p in tree.iterfind("bpmn:process", NS):
                    self._index.setdefault(p.get("id") or "", p)
        return self._index

    def sets(self, process_id: str) -> set[str] | None:
        process = self._processes().get(process_id)
        if process is None or process_id in self._busy:
            return None
        self._busy.add(process_id)
        try:
            return dataflow.all_sets(process, self.task_fields, self.sets)
        finally:
            self._busy.discard(process_id)

    def task_fields(self, task: Any) -> set[str] | None:
        form = _properties(task).get("formJsonSchemaFilename")
        if not form:  # a citizen's task without a form answers in one field, `text`
            return {"text"}
        return self.forms.fields(form)


def _properties(element: Any) -> dict[str, str]:
    return {
        p.get("name") or "": p.get("value") or ""
        for p in element.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        )
    }


def _vendor_problems(filename: str, process: Any) -> list[Problem]:
    """Name what Camunda Modeler wrote that Circuit does not run."""
    out = []

    def add(element: Any, what: str, fix: str, severity: str = "error") -> None:
        out.append(
            Problem(filename, element.get("id", ""), element.get("name", ""), what, fix, severity)
        )

    camunda, zeebe = vendor.CAMUNDA_NS, vendor.ZEEBE_NS
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        form_key = element.get(f"{{{camunda}}}formKey")
        if form_key is not None:
            add(
                element,
                f"Circuit nu citește camunda:formKey („{form_key}”).",
                "Ștergeți Form key și adăugați în Extension properties proprietatea "
                "formJsonSchemaFilename cu numele fișierului din forms/ (de exemplu "
                "„cerere_aprobare.json”).",
            )
        for definition in element.iterfind(f"bpmn:extensionElements/{{{zeebe}}}formDefinition", NS):
            key = definition.get("formKey") or definition.get("formId") or ""
            add(
                element,
                f"Circuit nu citește zeebe:formDefinition („{key}”).",
                "Ștergeți formularul Camunda 8 și adăugați în Extension properties proprietatea "
                "formJsonSchemaFilename cu numele fișierului din forms/.",
            )
        for attr in ("assignee", "candidateGroups", "candidateUsers"):
            value = element.get(f"{{{camunda}}}{attr}")
            if value is not None:
                add(
                    element,
                    f"Circuit nu citește camunda:{attr} („{value}”): cine lucrează sarcina "
                    "îl spune culoarul (lane) sau proprietatea department.",
                    "Ștergeți câmpul din Assignment și puneți sarcina în culoarul "
                    "compartimentului (role=head pentru șef).",
                    WARNING,
                )
        if element.find(f"bpmn:extensionElements/{{{zeebe}}}assignmentDefinition", NS) is not None:
            add(
                element,
                "Circuit nu citește zeebe:assignmentDefinition: cine lucrează sarcina îl spune "
                "culoarul (lane) sau proprietatea department.",
                "Ștergeți Assignment și puneți sarcina în culoarul compartimentului.",
                WARNING,
            )
        for attr in ("class", "expression", "delegateExpression"):
            if element.get(f"{{{camunda}}}{attr}") is not None:
                add(
                    element,
                    f"Circuit nu rulează camunda:{attr} (cod Java).",
                    "Folosiți o sarcină de tip script (Script task) cu rânduri „nume = expresie”.",
                )
    return out


class _ProcessCheck:
    """The checks of one bpmn:process."""

    def __init__(
        self,
        filename: str,
        process: Any,
        forms: _Forms,
        context: Context,
        called: _CalledProcesses,
    ) -> None:
        self.filename = filename
        self.process = process
        self.pid = process.get("id", "")
        self.forms = forms
        self.context = context
        self.called = called
        self.start = context.starts.get(self.pid)
        self.problems: list[Problem] = []
        self.ids = {
            e.get("id"): e for e in process.iter() if isinstance(e.tag, str) and e.get("id")
        }
        self.lanes: dict[str, str] = {}
        self.lane_of: dict[str, Any] = {}
        for lane in process.iterfind(".//bpmn:lane", NS):
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                if ref.text and ref.text.strip():
                    self.lanes[ref.text.strip()] = lane.get("name") or ""
                    self.lane_of[ref.text.strip()] = lane

    def add(self, element: Any, what: str, fix: str, severity: str = "error") -> None:
        self.problems.append(
            Problem(
                self.filename, element.get("id", ""), element.get("name", ""), what, fix, severity
            )
        )

    def run(self) -> list[Problem]:
        if self.process.get("isExecutable", "true") != "true":
            self.add(
                self.process,
                "Procesul nu este executabil.",
                'Bifați „Executable” la proces (isExecutable="true").',
            )
        flows = list(self.process.iter(f"{{{BPMN_NS}}}sequenceFlow"))
        self.outgoing: dict[str, list[Any]] = {}
        for flow in flows:
            self.outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
        for element in self.process.iter():
            kind = local(element)
            if not kind:
                continue
            self._reserved_id(element)
            if kind == "sequenceFlow":
                self._flow(element)
            elif kind == "scriptTask":
                self._script(element, element.findtext("bpmn:script", "", NS), "scriptul")
            elif kind == "timerEventDefinition":
                self._timer(element)
            elif kind in ("exclusiveGateway", "inclusiveGateway"):
                self._gateway(element)
            elif kind in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
                self._loop(element)
            if kind in TASKS:
                self._user_task(element)
            if kind in ACTIVITIES | GATEWAYS | EVENTS:
                self._properties(element, kind)
                self._continues(element, kind)
            for name in ("preScript", "postScript"):
                for extra in element.iterfind(f"bpmn:extensionElements/spiffworkflow:{name}", NS):
                    self._script(element, extra.text or "", name)
        self._lanes()
        self._data_flow()
        return self.problems

    # --- structure ---------------------------------------------------------------------

    def _reserved_id(self, element: Any) -> None:
        element_id = element.get("id")
        if element_id in ("Start", "End", f"{self.pid}.EndJoin") and element is not self.process:
            self.add(
                element,
                f"Id-ul „{element_id}” este rezervat de SpiffWorkflow.",
                "Dați elementului alt id, de exemplu „start_cerere” sau „sfarsit”.",
            )

    def _flow(self, flow: Any) -> None:
        container = flow.getparent()
        here = {e.get("id") for e in container if local(e)} if container is not None else set()
        for end, word in (("targetRef", "la"), ("sourceRef", "de la")):
            ref = flow.get(end) or ""
            if ref not in here:
                elsewhere = "" if ref not in self.ids else " (este în alt proces sau subproces)"
                self.add(
                    flow,
                    f"{_BROKEN_FLOW} {word} „{ref}”, care nu există în acest proces{elsewhere}.",
                    "Legați din nou săgeata în modelator de elementul dorit (trageți capătul ei "
                    "pe element), sau ștergeți-o.",
                )
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None:
            self._expression(flow, condition.text or "", "Condiția nu poate fi evaluată")

    def _continues(self, element: Any, kind: str) -> None:
        if kind == "endEvent" or self._in_event_subprocess(element):
            return
        if element.get("id") in self.outgoing:
            return
        if kind == "boundaryEvent":
            return  # a boundary event without a flow only ends its own path
        if (
            kind in ACTIVITIES
            or kind in GATEWAYS
            or kind in ("startEvent", "intermediateCatchEvent", "intermediateThrowEvent")
        ):
            what = {
                **{k: "Sarcina" for k in ACTIVITIES},
                **{k: "Poarta" for k in GATEWAYS},
            }.get(kind, "Evenimentul")
            self.add(
                element,
                f"{what} nu are nicio săgeată de ieșire: cererea s-ar încheia aici, fără "
                "răspuns și fără pașii care urmează.",
                "Trageți o săgeată (sequence flow) de la element la pasul următor sau la un "
                "eveniment de sfârșit cu requestStatus.",
            )

    def _in_event_subprocess(self, element: Any) -> bool:
        parent = element.getparent()
        return parent is not None and parent.get("triggeredByEvent") == "true"

    # --- expressions -------------------------------------------------------------------

    def _expression(self, element: Any, text: str, what: str) -> bool:
        dialect = vendor.expression_dialect(text)
        if dialect:
            self.add(
                element,
                f"{what}: „{' '.join(text.split()):.80}” este scrisă în {dialect} (Camunda), "
                "limbaj pe care Circuit nu îl citește.",
                vendor.dialect_fix(text, dialect),
            )
            return False
        try:
            tree = parse_expression(text)
        except ExpressionError as exc:
            self.add(element, f"{what}: {exc}", _EXPRESSION_FIX)
            return False
        self._constant_arguments(element, tree, what)
        return True

    def _constant_arguments(self, element: Any, tree: Any, what: str) -> None:
        """Refuse a deadline kind written in the text that `termen` does not know."""
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "termen"):
                continue
            kinds = [*node.args[2:3], *(k.value for k in node.keywords if k.arg == "tip")]
            for kind in kinds:
                value = getattr(kind, "value", None) if isinstance(kind, ast.Constant) else None
                if isinstance(value, str) and value.strip().lower() not in DEADLINE_KINDS:
                    self.add(
                        element,
                        f"{what}: termen(...) primește felul de zile „{value}”, pe care nu îl "
                        f"cunoaște{suggestion(value, DEADLINE_KINDS)}.",
                        "Scrieți „calendar” (zile calendaristice) sau „lucratoare” (zile "
                        "lucrătoare).",
                    )

    def _script(self, element: Any, text: str, what: str) -> None:
        try:
            for _, line in parse_script(text):
                self._constant_arguments(element, line, what.capitalize())
        except ExpressionError as exc:
            self.add(
                element,
                f"{what.capitalize()} nu poate rula: {exc}",
                "Scrieți rânduri „nume = expresie”; " + _EXPRESSION_FIX,
            )

    def _timer(self, timer: Any) -> None:
        event = timer.getparent()
        if event is None:  # a timer definition is always inside its event
            return
        values = {k: timer.find(f"bpmn:{k}", NS) for k in ("timeDate", "timeDuration", "timeCycle")}
        given = {k: (v.text or "").strip() for k, v in values.items() if v is not None}
        given = {k: v for k, v in given.items() if v}
        if not given:
            self.add(
                event,
                "Temporizatorul nu are o expresie (timeDate).",
                'Dați un timeDate, de exemplu moment(termen(cerere["data"], 5)).',
            )
            return
        kind, text = next(iter(given.items()))
        if _ISO_LITERAL.match(text) and not vendor.expression_dialect(text):
            self.add(
                event,
                f"{kind} „{text}” este scris fără ghilimele: Circuit îl citește ca expresie, "
                "iar o valoare ISO 8601 trebuie pusă între ghilimele.",
                f'Scrieți "{text}" (cu ghilimele)'
                + (
                    ", iar o durată ca „P25D” în timeDuration, nu în timeDate."
                    if kind == "timeDate" and text.startswith("P")
                    else "."
                ),
            )
            return
        if not self._expression(event, text, "Expresia temporizatorului nu este corectă"):
            return
        self._timer_value(event, kind, parse_expression(text))

    def _timer_value(self, event: Any, kind: str, node: Any) -> None:
        """Check what a timer's expression gives, where it can be told from the text."""
        if isinstance(node, ast.Constant):
            value = node.value
            ok = isinstance(value, str) and (
                _ISO_DURATION.match(value)
                if kind == "timeDuration"
                else _is_iso_instant(value)
                if kind == "timeDate"
                else value.startswith("R")
            )
            if not ok:
                want = {
                    "timeDate": "un moment ISO 8601 cu fus orar („2026-03-01T09:00:00+02:00”)",
                    "timeDuration": "o durată ISO 8601 („P5D”, „PT4H”)",
                    "timeCycle": "un ciclu ISO 8601 („R3/PT1H”)",
                }[kind]
                self.add(
                    event,
                    f"{kind} „{value!s}” nu este {want}.",
                    "Folosiți funcțiile calendarului, de exemplu "
                    'moment(termen(cerere["data"], 5)), sau o valoare ISO 8601 între ghilimele.',
                )
        elif isinstance(node, ast.Call) and kind == "timeDate":
            name = getattr(node.func, "id", "")
            if name not in _INSTANT_FUNCTIONS:
                self.add(
                    event,
                    f"timeDate cere un moment (zi și oră), dar {name}(...) dă o zi sau altă "
                    "valoare.",
                    f'Scrieți moment({name}(...)), de exemplu moment(termen(cerere["data"], 5)).',
                )

    def _gateway(self, gateway: Any) -> None:
        flows = self.outgoing.get(gateway.get("id") or "", [])
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

    def _loop(self, loop: Any) -> None:
        task = loop.getparent()
        if task is None:
            return
        bound = self.start.max_instances if self.start else 100
        parts = (
            ("loopCardinality", "Numărul de instanțe"),
            ("completionCondition", "Condiția de încheiere"),
            ("loopCondition", "Condiția buclei"),
        )
        for tag, what in parts:
            text = loop.findtext(f"bpmn:{tag}", None, NS)
            if text is None:
                continue
            if not self._expression(task, text, f"{what} ({tag})"):
                continue
            node = parse_expression(text)
            value = getattr(node, "value", None)
            if tag == "loopCardinality" and isinstance(value, int) and value > bound:
                self.add(
                    task,
                    f"Numărul de instanțe ({value}) depășește limita procedurii ({bound}).",
                    "Micșorați numărul, sau măriți „max_instances” în intrarea din catalog.",
                )
        maximum = loop.get("loopMaximum")
        if maximum is not None and (not maximum.isdigit() or int(maximum) > bound):
            self.add(
                task,
                f"loopMaximum „{maximum}” nu este un număr între 1 și limita procedurii ({bound}).",
                "Dați un număr mai mic, sau măriți „max_instances” în intrarea din catalog.",
            )
        collection = loop.findtext("bpmn:loopDataInputRef", None, NS)
        if collection is not None and not _NAME.match(collection.strip()):
            self.add(
                task,
                f"Colecția buclei (loopDataInputRef) „{collection.strip()}” nu este un nume de "
                "variabilă.",
                "Dați numele unei variabile care ține o listă, de exemplu „documente”.",
            )
        if (
            loop.tag.endswith("multiInstanceLoopCharacteristics")
            and loop.find("bpmn:loopCardinality", NS) is None
            and collection is None
        ):
            self.add(
                task,
                "Sarcina cu instanțe multiple nu spune câte instanțe are (loopCardinality) "
                "sau pentru ce listă (loopDataInputRef).",
                "Completați Loop cardinality sau Input collection la sarcină.",
            )

    # --- properties and tasks ----------------------------------------------------------

    def _properties(self, element: Any, kind: str) -> None:
        props = _properties(element)
        for name, value in props.items():
            if name not in PROPERTIES:
                self.add(
                    element,
                    f"Proprietatea „{name}” nu este cunoscută{suggestion(name, PROPERTIES)} și "
                    "nu are niciun efect.",
                    "Scrieți numele exact (literele mari contează): " + ", ".join(PROPERTIES) + ".",
                )
                continue
            if kind not in PROPERTIES[name]:
                self.add(
                    element,
                    f"Proprietatea „{name}” nu are efect pe un element de tip {kind}.",
                    f"Mutați-o pe un element de tip {', '.join(PROPERTIES[name])}, sau ștergeți-o.",
                    WARNING,
                )
                continue
            self._property_value(element, name, value.strip())

    def _property_value(self, element: Any, name: str, value: str) -> None:
        if name == "role" and value not in ROLES:
            self.add(
                element,
                f"role „{value}” nu este cunoscut{suggestion(value, ROLES)}: restricția nu s-ar "
                "aplica și oricine din compartiment ar putea finaliza sarcina.",
                "Scrieți role = head (doar șeful compartimentului), sau ștergeți proprietatea.",
            )
        elif name == "requestStatus" and value not in END_STATUSES:
            self.add(
                element,
                f"requestStatus „{value}” nu este cunoscut{suggestion(value, END_STATUSES)}.",
                "Scrieți una dintre valorile: completed (rezolvată), rejected (respinsă), "
                "withdrawn (retrasă).",
            )
        elif name == "timerRecipients":
            self._recipients(element, value)
        elif name == "fourEyes":
            self._four_eyes(element, value)
        elif name in ("messageVariable", "dueDateVariable", "answerVariable") and not (
            _NAME.match(value)
        ):
            self.add(
                element,
                f"{name} „{value}” nu este un nume de variabilă.",
                "Dați numele unui câmp de formular sau al unei variabile de script, de exemplu "
                "„mesaj_solicitant”.",
            )
        elif name in RULES:
            self._expression(element, value, f"Regula „{name}” nu este corectă")
        elif name == "department":
            self._department(element, value, "Proprietatea department")
        elif name in ("formJsonSchemaFilename",) and not value:
            self.add(element, "formJsonSchemaFilename este gol.", "Dați numele formularului.")

    def _recipients(self, element: Any, value: str) -> None:
        known = self.context.departments
        for who in (w.strip() for w in value.split(",")):
            if not who or who in RECIPIENTS:
                continue
            code = self.context.registry if who == REGISTRY_LANE else who
            if known is not None and code not in known:
                self.add(
                    element,
                    f"timerRecipients numește „{who}”, care nu este applicant, department, head "
                    f"sau un compartiment existent{suggestion(who, [*RECIPIENTS, *known])}.",
                    "Scrieți applicant, department, head sau codul unui compartiment "
                    "(circuit department list), despărțite prin virgulă.",
                )

    def _four_eyes(self, element: Any, value: str) -> None:
        tasks = {
            e.get("id"): e for e in self.process.iter() if local(e) in TASKS and e is not element
        }
        if value not in tasks:
            self.add(
                element,
                f"fourEyes numește „{value}”, care nu este o sarcină a acestui proces"
                f"{suggestion(value, [t for t in tasks if t])}: principiul celor patru ochi "
                "nu s-ar aplica.",
                "Dați id-ul sarcinii pe care aceasta o verifică (o sarcină dinaintea ei).",
            )
        elif not self._precedes(value, element.get("id") or ""):
            self.add(
                element,
                f"fourEyes numește sarcina „{value}”, care nu vine înaintea acestei sarcini pe "
                "niciun drum: principiul celor patru ochi nu s-ar aplica.",
                "Dați id-ul unei sarcini de dinainte, pe care aceasta o verifică.",
            )

    def _precedes(self, earlier: str, later: str) -> bool:
        seen, todo = {earlier}, [earlier]
        boundary = {
            e.get("attachedToRef"): e.get("id")
            for e in self.process.iter(f"{{{BPMN_NS}}}boundaryEvent")
        }
        while todo:
            here = todo.pop()
            nexts = [f.get("targetRef") or "" for f in self.outgoing.get(here, [])]
            if here in boundary:
                nexts.append(boundary[here] or "")
            for n in nexts:
                if n == later:
                    return True
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return False

    def _user_task(self, task: Any) -> None:
        props = _properties(task)
        task_id = task.get("id") or ""
        if task_id not in self.lanes and not props.get("department"):
            self.add(
                task,
                "Sarcina nu este în niciun culoar (lane), deci nu are departament.",
                "Puneți-o în culoarul departamentului (sau „solicitant”), ori dați-i "
                "proprietatea department.",
            )
        form = props.get("formJsonSchemaFilename")
        if form:
            if self.forms.dir is not None:
                _, wrong = self.forms.get(form)
                if wrong:
                    self.add(
                        task,
                        wrong,
                        "Adăugați sau corectați formularul în dosarul de formulare (JSON Schema), "
                        "ori corectați formJsonSchemaFilename.",
                    )
        elif "formJsonSchemaFilename" not in props and not self._applicants(task, props):
            self.add(
                task,
                "Sarcina funcționarului nu are formular (proprietatea formJsonSchemaFilename): "
                "ar accepta orice și pașii următori nu ar avea datele de care au nevoie.",
                "Adăugați proprietatea formJsonSchemaFilename cu numele formularului din "
                "forms/ (în Camunda Modeler: Extension properties).",
            )

    def _applicants(self, task: Any, props: dict[str, str]) -> bool:
        """Tell whether a task waits for the citizen (who answers in a text box without a form)."""
        code = props.get("department") or self.lanes.get(task.get("id") or "", "")
        return code == APPLICANT_LANE

    def _lanes(self) -> None:
        for lane in self.process.iterfind(".//bpmn:lane", NS):
            name = (lane.get("name") or "").strip()
            if lane.find("bpmn:childLaneSet", NS) is not None:
                continue
            refs = [r.text.strip() for r in lane.iterfind("bpmn:flowNodeRef", NS) if r.text]
            if not any(local(self.ids[r]) in TASKS for r in refs if r in self.ids):
                continue  # only tasks are given to departments
            if not name:
                self.add(
                    lane,
                    "Culoarul nu are nume, deci sarcinile din el nu au compartiment.",
                    "Dați culoarului codul compartimentului (circuit department list), "
                    "„solicitant” sau „{variabila}”.",
                )
                continue
            self._department(lane, name, "Culoarul")

    def _department(self, element: Any, code: str, what: str) -> None:
        if code == APPLICANT_LANE or (code.startswith("{") and code.endswith("}")):
            return
        known = self.context.departments
        if known is None:
            return
        real = self.context.registry if code == REGISTRY_LANE else code
        if real not in known:
            self.add(
                element,
                f"{what} numește compartimentul „{code}”, care nu există"
                f"{suggestion(code, known)}: sarcinile de aici n-ar ajunge la nimeni și n-ar "
                "putea fi redirecționate.",
                f"Scrieți codul unui compartiment existent (circuit department list), sau "
                f"adăugați-l: circuit department add {code} --name „…”.",
            )

    # --- data flow ---------------------------------------------------------------------

    def _data_flow(self) -> None:
        if self.process.get("isExecutable", "true") != "true":
            return
        if self.start is None:
            if (
                self.context.catalog
                and self.pid not in self.context.named
                and not self._is_called()
            ):
                self.add(
                    self.process,
                    "Nicio intrare din catalog nu pornește acest proces, deci variabilele citite "
                    "de condiții, scripturi și temporizatoare nu au fost verificate.",
                    "Verificați diagrama împreună cu intrarea ei din catalog (processes/).",
                    WARNING,
                )
            return
        flow = dataflow.Flow(self.process, self.called.task_fields, self.called.sets, self.lanes)
        said = set()
        for read in flow.run(self.start.fields):
            key = (read.element.get("id"), read.variable)
            if key in said:
                continue
            said.add(key)
            self.add(
                read.element,
                f"Variabila „{read.variable}”{suggestion(read.variable, read.known)}, citită de "
                f"{read.where}, nu este setată pe cel puțin un drum până aici (niciun formular "
                "sau script de dinainte nu o setează): cererea s-ar opri cu eroare.",
                f"Adăugați câmpul „{read.variable}” în formularul de pornire sau al unei sarcini "
                "de dinainte, setați-l într-un script anterior, ori dați-l în „variables” din "
                f"intrarea de catalog {self.start.catalog_file}.",
            )

    def _is_called(self) -> bool:
        called = self.called._processes()
        for process in called.values():
            for call in process.iter(f"{{{BPMN_NS}}}callActivity"):
                if call.get("calledElement") == self.pid:
                    return True
        return False


def _is_iso_instant(value: str) -> bool:
    from datetime import datetime

    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _spiff_problems(
    root: Any, filename: str, processes: list[Any], folder: Path | None
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


def _add_called_files(parser: SpiffBpmnParser, root: Any, folder: Path | None) -> None:
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
            parser.add_bpmn_xml(vendor.to_spiff(tree), filename=other.name)


def _spiff_problem(filename: str, exc: Exception, process_id: str, root: Any) -> Problem:
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
