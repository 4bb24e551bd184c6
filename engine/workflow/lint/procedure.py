"""Check procedures as deployment does: catalog entries, their diagrams and forms together.

`circuit bpmn check` and `circuit db upgrade` both run these checks, so the check never
says a procedure can run that deployment then refuses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from engine.platform.errors import DeploymentError
from engine.workflow import catalog
from engine.workflow.lint import dataflow
from engine.workflow.lint.diagram import (
    NS,
    Context,
    Start,
    check_file,
    form_fields,
    form_problem,
)
from engine.workflow.lint.problems import DiagramRefused, Problem, errors, unique

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def bpmn_files(paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """The files among `paths` and the `.bpmn` files of its folders; a folder without any
    is a problem."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(path.rglob("*.bpmn"))
        if not found:
            problems.append(
                Problem(
                    str(path),
                    "",
                    "",
                    "Dosarul nu conține fișiere .bpmn.",
                    "Dați calea unui fișier .bpmn sau a unui dosar cu diagrame.",
                )
            )
        files += found
    return files


@dataclass
class Entry:
    """A catalog entry as read, with its own problems."""

    path: Path
    raw: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str((self.raw or {}).get("id") or self.path.stem)


def _entry_problem(
    path: Path, raw: dict[str, Any] | None, key: str, what: str, fix: str
) -> Problem:
    title = str((raw or {}).get("title") or "")
    what = what[0].upper() + what[1:] if what else what
    return Problem(str(path), key or "-", title, what, fix)


def read_entry(path: Path, bpmn_dir: Path, forms_dir: Path) -> Entry:
    """Read a catalog entry and check it with its start form and diagram's presence."""
    try:
        raw = catalog.read_json(path)
    except DeploymentError as exc:
        return Entry(
            path,
            None,
            [Problem(str(path), "-", "", exc.message, "Corectați fișierul (JSON, UTF-8).")],
        )
    entry = Entry(path, raw)
    for key, what, fix in catalog.entry_problems(raw):
        entry.problems.append(_entry_problem(path, raw, key, what, fix))
    start = raw.get("start_form")
    if isinstance(start, str) and start:
        _, wrong = form_problem(forms_dir, start)
        if wrong:
            entry.problems.append(
                _entry_problem(
                    path, raw, "start_form", wrong, "Adăugați sau corectați formularul de pornire."
                )
            )
    diagram = raw.get("bpmn")
    if isinstance(diagram, str) and diagram:
        file = bpmn_dir / diagram
        if Path(diagram).name != diagram or not file.is_file():
            entry.problems.append(
                _entry_problem(
                    path,
                    raw,
                    "bpmn",
                    f"Diagrama „{diagram}” nu există în {bpmn_dir}.",
                    "Corectați „bpmn” sau adăugați diagrama în dosarul diagramelor.",
                )
            )
        elif raw.get("process_id") and raw["process_id"] not in _process_ids(file):
            entry.problems.append(
                _entry_problem(
                    path,
                    raw,
                    "process_id",
                    f"Diagrama „{diagram}” nu conține procesul „{raw['process_id']}”.",
                    "Scrieți în „process_id” id-ul procesului din diagramă (Process ID în "
                    "Camunda Modeler).",
                )
            )
    return entry


def called_files(diagram: Path, bpmn_dir: Path) -> list[Path]:
    """Return the other diagrams of the folder that define the processes a diagram calls
    (and those they call), as deployment gathers them."""
    index: dict[str, Path] = {}
    calls: dict[Path, set[str]] = {}
    for file in sorted(bpmn_dir.glob("*.bpmn")) if bpmn_dir.is_dir() else []:
        try:
            root = etree.parse(str(file), _PARSER).getroot()
        except (etree.XMLSyntaxError, OSError):
            continue
        for pid in (p.get("id") for p in root.iterfind("bpmn:process", NS)):
            index.setdefault(pid or "", file)
        calls[file] = {
            c.get("calledElement") or "" for c in root.iterfind(".//bpmn:callActivity", NS)
        }
    found: list[Path] = []
    todo = [diagram]
    while todo:
        here = todo.pop()
        for pid in sorted(calls.get(here, set())):
            target = index.get(pid)
            if target is not None and target != diagram and target not in found:
                found.append(target)
                todo.append(target)
    return found


def _process_ids(file: Path) -> set[str]:
    try:
        root = etree.parse(str(file), _PARSER).getroot()
    except (etree.XMLSyntaxError, OSError):
        return set()
    return {p.get("id") or "" for p in root.iterfind("bpmn:process", NS)}


def start_of(entry: Entry, forms_dir: Path) -> Start | None:
    """Return what a request of this entry starts with (None if the entry is broken)."""
    raw = entry.raw
    if raw is None or not isinstance(raw.get("start_form"), str):
        return None
    schema, wrong = form_problem(forms_dir, raw["start_form"])
    if schema is None or wrong is not None:
        return None
    fields = set(dataflow.BUILTINS) | form_fields(schema)
    variables = raw.get("variables")
    if isinstance(variables, dict):
        fields |= set(variables)
    if raw.get("reminder_days") or raw.get("reminder_after_seconds") is not None:
        fields.add(dataflow.REMINDER)
    if raw.get("completion") is not None:
        fields.add(dataflow.COMPLETION)
    bound = raw.get("max_instances", 100)
    return Start(
        str(raw.get("id", "")),
        entry.path.name,
        frozenset(fields),
        bound if isinstance(bound, int) and not isinstance(bound, bool) else 100,
    )


def check_folders(
    bpmn_dir: Path,
    forms_dir: Path,
    processes_dir: Path | None,
    *,
    paths: Iterable[Path] | None = None,
    departments: frozenset[str] | None = None,
    registry: str = "registratura",
) -> list[Problem]:
    """Check the designers' folders as deployment does (or only the diagrams `paths` and
    the catalog entries that name them); return every problem, errors and warnings."""
    entries = []
    if processes_dir is not None and processes_dir.is_dir():
        entries = [read_entry(p, bpmn_dir, forms_dir) for p in sorted(processes_dir.glob("*.json"))]
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for entry in entries:
        if entry.raw is not None and entry.id in seen:
            entry.problems.append(
                _entry_problem(
                    entry.path,
                    entry.raw,
                    "id",
                    f"Are același identificator „{entry.id}” ca „{seen[entry.id].name}”.",
                    "Dați fiecărei proceduri un „id” unic.",
                )
            )
        seen.setdefault(entry.id, entry.path)
    starts: dict[str, Start] = {}
    for entry in entries:
        start = start_of(entry, forms_dir)
        if start is None or entry.raw is None:
            continue
        pid = str(entry.raw.get("process_id"))
        earlier = starts.get(pid)
        if earlier is not None:  # two procedures on one process: what both give
            start = Start(start.procedure, start.catalog_file, start.fields & earlier.fields,
                          min(start.max_instances, earlier.max_instances))  # fmt: skip
        starts[pid] = start
    named = frozenset(str((e.raw or {}).get("process_id")) for e in entries)
    context = Context(starts, processes_dir is not None, departments, registry, named)
    if paths is None:
        files = sorted(bpmn_dir.glob("*.bpmn")) if bpmn_dir.is_dir() else []
        checked_names = None
    else:
        files = bpmn_files(paths, problems)
        checked_names = {f.name for f in files}
    for entry in entries:
        names = (entry.raw or {}).get("bpmn")
        if checked_names is None or names in checked_names:
            problems += entry.problems
    for file in files:
        problems += check_file(file, forms_dir, context)
    return unique(problems)


def ensure_procedure(
    entry: dict[str, Any],
    bpmn_dir: Path,
    forms_dir: Path,
    *,
    departments: frozenset[str] | None = None,
    registry: str = "registratura",
    catalog_file: str | None = None,
) -> list[Problem]:
    """Raise DiagramRefused if a procedure (entry, diagram, forms) has errors; return its
    warnings."""
    name = catalog_file or f"{entry.get('id', 'procedura')}.json"
    path = Path(name)
    checked = Entry(path, entry)
    for key, what, fix in catalog.entry_problems(entry):
        checked.problems.append(_entry_problem(path, entry, key, what, fix))
    start_form = entry.get("start_form")
    if start_form:
        _, wrong = form_problem(forms_dir, str(start_form))
        if wrong:
            checked.problems.append(
                _entry_problem(path, entry, "start_form", wrong, "Corectați formularul de pornire.")
            )
    start = start_of(checked, forms_dir) if start_form else None
    starts = {str(entry.get("process_id")): start} if start else {}
    context = Context(starts, False, departments, registry)
    diagram = bpmn_dir / str(entry.get("bpmn", ""))
    problems = checked.problems + check_file(diagram, forms_dir, context)
    for other in called_files(diagram, bpmn_dir):  # a broken called diagram blocks its callers
        problems += check_file(other, forms_dir, context)
    problems = unique(problems)
    if errors(problems):
        raise DiagramRefused(errors(problems) + [p for p in problems if not p.is_error])
    return problems
