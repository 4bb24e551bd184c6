"""A restricted script engine for BPMN conditions, scripts and timer expressions."""

from __future__ import annotations

import ast
import builtins
import copy
from functools import lru_cache
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SAFE_BUILTIN_NAMES = (
    "abs all any bool dict divmod enumerate filter float int isinstance len list map max min "
    "range reversed round set sorted str sum tuple zip True False None ValueError KeyError"
).split()
SAFE_BUILTINS = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}


class ScriptNotAllowed(ValueError):
    """Raised when a BPMN expression or script uses something the sandbox forbids."""


class _Checker(ast.NodeVisitor):
    def visit_Import(self, node: ast.AST) -> None:
        raise ScriptNotAllowed("imports are not allowed in BPMN scripts")

    visit_ImportFrom = visit_Import

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            raise ScriptNotAllowed(f"attribute '{node.attr}' is not allowed in BPMN scripts")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            raise ScriptNotAllowed(f"name '{node.id}' is not allowed in BPMN scripts")

    def visit_Global(self, node: ast.AST) -> None:
        raise ScriptNotAllowed("global and nonlocal are not allowed in BPMN scripts")

    visit_Nonlocal = visit_Global


@lru_cache(maxsize=4096)
def compile_checked(source: str, mode: str) -> CodeType:
    """Parse, check and compile a script once; later calls reuse the code object."""
    tree = ast.parse(source, mode=mode)
    _Checker().visit(tree)
    return compile(tree, "<bpmn>", mode)


class RestrictedEnvironment(TaskDataEnvironment):
    """Run task-data scripts with a short list of builtins and no dunder access."""

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        code = compile_checked(expression, "eval")
        scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(code, scope)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = compile_checked(script, "exec")
        context.update(copy.copy(self.globals))
        context.update(external_context or {})
        context["__builtins__"] = SAFE_BUILTINS
        try:
            exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def make_script_engine() -> PythonScriptEngine:
    """Return the script engine every workflow in Circuit runs with."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
