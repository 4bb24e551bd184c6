"""Layers you can check: engine/ knows nothing of the web, no module imports itself back
through others, engine's packages only import those below them, and test modules share
helpers only through tests/support (fixtures through conftest.py), never by importing one
another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ENGINE = ROOT / "engine"

# engine/'s packages (and its top-level modules), lowest first: each may import only itself
# and what comes before it. platform/ knows no domain; the Circuit composes the settings,
# the database and Redis with workflow/'s catalog and the legal calendar; workflow/ knows no
# account, register or message; cases/ (what people do to a request) stands on all of those;
# the jobs compose the worker at the top.
ENGINE_ORDER = [
    "platform",
    "models",
    "audit",
    "deadlines",
    "workflow",
    "circuit",
    "messages",
    "people",
    "register",
    "cases",
    "archive",
    "demo",
    "jobs",
    "migrations",
]


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


def module_files(root: Path, top: tuple[str, ...] = ("engine", "webapp")) -> dict[str, Path]:
    """Return the dotted name of every module under these top-level folders."""
    found = {}
    for folder in top:
        for path in (root / folder).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str | None:
    """Resolve a relative `from . import x` against the importing module."""
    if node.level == 0:
        return node.module
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else [])) or None


def module_imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Return the known modules this one imports, anywhere in it: at the top, inside
    functions, under TYPE_CHECKING. `from pkg import sub` counts as importing pkg.sub."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in known:  # import a.b.c of a module outside
                    name = name.rpartition(".")[0]
                if name:
                    out.add(name)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node, path.name == "__init__.py")
            if source is None:
                continue
            for alias in node.names:
                if f"{source}.{alias.name}" in known:
                    out.add(f"{source}.{alias.name}")
                elif source in known:
                    out.add(source)
    out.discard(module)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    known = set(files)
    return {name: module_imports(name, path, known) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], set[str]]]:
    """Return each group of modules that import each other, with one loop through it
    (Tarjan's strongly connected components, then a shortest way back round)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a long chain of imports cannot hit the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return [(_loop(graph, group), group) for group in groups]


def _loop(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """Return the shortest loop from the group's first module back to itself."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & group):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    raise AssertionError(f"no loop in {sorted(group)}")  # a strongly connected group has one


def describe(knots: list[tuple[list[str], set[str]]]) -> str:
    lines = []
    for loop, group in knots:
        lines.append(f"import loop: {' -> '.join(loop)}")
        others = sorted(group - set(loop))
        if others:
            lines.append(f"    also in the same knot: {', '.join(others)}")
    return "\n".join(lines)


def test_the_graph_sees_imports_in_functions_and_type_checking(tmp_path):
    pkg = tmp_path / "engine"
    pkg.mkdir()
    (tmp_path / "webapp").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from engine import b\n")
    (pkg / "b.py").write_text("def f():\n    from engine.c import x\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import engine.a\nx = 1\n"
    )
    graph = import_graph(tmp_path)
    assert graph["engine.a"] == {"engine.b"}
    assert graph["engine.b"] == {"engine.c"}
    assert graph["engine.c"] == {"engine.a"}
    assert describe(cycles(graph)) == "import loop: engine.a -> engine.b -> engine.c -> engine.a"


def test_no_module_of_engine_or_webapp_imports_itself_back():
    graph = import_graph()
    assert len(graph) > 60  # the walk really saw both folders
    loops = cycles(graph)
    if loops:
        pytest.fail(describe(loops), pytrace=False)


def engine_unit(module: str) -> str | None:
    """Return the package (or top-level module) of engine/ a module belongs to."""
    parts = module.split(".")
    return parts[1] if parts[0] == "engine" and len(parts) > 1 else None


def test_engine_packages_import_only_those_below_them():
    rank = {unit: i for i, unit in enumerate(ENGINE_ORDER)}
    graph = import_graph()
    unknown = sorted({u for m in graph if (u := engine_unit(m)) is not None and u not in rank})
    assert not unknown, f"place these in ENGINE_ORDER: {unknown}"
    upward = sorted(
        f"{module} -> {target} ({engine_unit(module)} is below {engine_unit(target)})"
        for module, targets in graph.items()
        if (unit := engine_unit(module)) is not None
        for target in targets
        if (other := engine_unit(target)) is not None and rank[other] > rank[unit]
    )
    if upward:
        pytest.fail("imports upward:\n" + "\n".join(upward), pytrace=False)


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
