"""The linter of procedures: diagrams, forms and catalog entries checked before they run.

Each problem names the file, the element (id and name), what is wrong and how to fix it, in
Romanian; errors stop deployment, warnings are said. See docs/designing-procedures.md."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.workflow.lint.diagram import Context, Start, check_file, check_source
from engine.workflow.lint.problems import (
    ERROR,
    WARNING,
    DiagramRefused,
    Problem,
    count,
    errors,
)
from engine.workflow.lint.procedure import bpmn_files, check_folders, ensure_procedure
from engine.workflow.lint.vendor import to_spiff

__all__ = [
    "ERROR",
    "WARNING",
    "Context",
    "DiagramRefused",
    "Problem",
    "Start",
    "check_file",
    "check_folders",
    "check_paths",
    "check_source",
    "count",
    "ensure_procedure",
    "ensure_runnable",
    "errors",
    "to_spiff",
]


def ensure_runnable(path: Path, forms_dir: Path | None = None) -> None:
    """Raise DiagramRefused if the BPMN file has errors."""
    problems = check_file(path, forms_dir)
    if errors(problems):
        raise DiagramRefused(problems)


def check_paths(paths: Iterable[Path], forms_dir: Path | None = None) -> list[Problem]:
    """Check files, and the `.bpmn` files of folders, without a catalog; return every problem."""
    problems: list[Problem] = []
    for file in bpmn_files(paths, problems):
        problems.extend(check_file(file, forms_dir))
    return problems
