"""Layers: engine/ knows nothing of the web, and test modules share helpers only through
tests/support (fixtures through conftest.py), never by importing one another."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).parent.parent / "engine"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_flask_or_webapp():
    offenders = {
        str(path.relative_to(ENGINE.parent)): sorted(
            imported_modules(path) & {"flask", "webapp", "flask_login"}
        )
        for path in ENGINE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) > 10  # the walk really saw the engine's modules


TESTS = Path(__file__).parent


def imports_under_tests(path: Path) -> set[str]:
    """Return the modules under tests/ that a file imports, as dotted names."""
    package = path.relative_to(TESTS.parent).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                above = package[: len(package) - node.level + 1]
                base = ".".join([*above, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "tests" or n.startswith("tests.")}


def test_tests_import_helpers_from_support_never_from_test_modules_or_conftest():
    """Fixtures come from conftest.py by pytest; plain helpers from tests/support."""
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        if TESTS / "data" in path.parents:
            continue
        bad = sorted(
            name
            for name in imports_under_tests(path)
            if any(part.startswith("test_") or part == "conftest" for part in name.split("."))
        )
        if bad:
            offenders[str(path.relative_to(TESTS.parent))] = bad
    assert offenders == {}, "move what these share to tests/support (helpers) or conftest.py"
    assert len(list(TESTS.rglob("test_*.py"))) > 40  # the walk really saw the test modules
