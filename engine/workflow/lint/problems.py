"""What the linter reports: a problem with where it is, what is wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
_LABEL = {ERROR: "Eroare", WARNING: "Atenție"}


@dataclass(frozen=True)
class Problem:
    """Something that stops a process from running (an error) or may surprise (a warning),
    with where it is and how to fix it."""

    file: str
    element: str
    name: str
    what: str
    fix: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def line(self) -> str:
        """Return the problem as one line: file, element id and name, kind, what, fix."""
        name = " ".join(self.name.split())
        what, fix = " ".join(self.what.split()), " ".join(self.fix.split())
        label = _LABEL[self.severity]
        return f"{self.file}: {self.element or '-'} „{name}”: {label}: {what} Remediere: {fix}"


class DiagramRefused(Exception):
    """A diagram with problems was refused; `problems` lists them (errors first)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.line() for p in problems))


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Return the problems that stop deployment."""
    return [p for p in problems if p.is_error]


def unique(problems: Iterable[Problem]) -> list[Problem]:
    """Return the problems without repeats (the same element and message said once)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.file, problem.element, problem.what)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


def count(n: int, one: str, many: str) -> str:
    """Return „1 problemă”, „2 probleme”, „20 de probleme” (Romanian plural)."""
    if n == 1:
        return f"1 {one}"
    if n == 0 or 1 <= n % 100 <= 19:
        return f"{n} {many}"
    return f"{n} de {many}"


def suggestion(word: str, known: Iterable[str]) -> str:
    """Return „ (poate „x”?)” for the known word closest to `word`, or ""."""
    choices = list(known)
    lower = {k.lower(): k for k in choices}
    if word.lower() in lower:
        return f" (poate „{lower[word.lower()]}”?)"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (poate „{close[0]}”?)" if close else ""
