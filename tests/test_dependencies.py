"""Every third-party library the code imports is declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).parent.parent
OURS = {"engine", "webapp", "scripts", "tests"}


def _name(requirement: str) -> str:
    """Return a requirement's distribution name, normalised as PEP 503 says."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _undeclared(folders: list[str], declared: set[str]) -> dict[str, list[str]]:
    """Map each imported library whose distribution is not declared to the files importing it."""
    distributions = packages_distributions()
    found: dict[str, list[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in OURS:
                        continue
                    names = {_name(d) for d in distributions.get(top, [top])}
                    if not names & declared:
                        found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_imported_library_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    # A library that comes only with another one can go when that one changes its own.
    undeclared = _undeclared(["engine", "webapp", "scripts"], runtime)
    # The load test is run by hand with the `load` extra (Locust), never by the server.
    assert undeclared.pop("locust", []) in ([], ["scripts/locustfile.py"])
    assert "locust" in {_name(r) for r in project["optional-dependencies"]["load"]}
    assert undeclared == {}
    assert _undeclared(["tests"], runtime | test) == {}
