"""Diagram expressions (conditions, script tasks, timers), evaluated by simpleeval, never exec.

Why simpleeval: a small pure-Python library, kept since 2013 and still receiving security
fixes, that walks Python's parse tree node by node through a table of handlers. A node
kind missing from the table is refused, not run, and `eval`/`exec` are never called, so
nothing reaches Python's frames, builtins or bytecode. (RestrictedPython still compiles
and runs real bytecode behind guards; asteval exposes much more of the language.)

Circuit narrows it further: a condition or a timer is one expression, a script task is lines
of `name = expression`; no attribute access at all, no loops, comprehensions, lambda,
f-strings or `%` formatting; no names or keys starting with `_`; only the functions of
`engine.workflow.functions`; numbers up to 10**100, strings and lists up to 100,000 characters
or items; and a time limit for each engine step, checked at every node evaluated.
"""

from __future__ import annotations

import ast
import math
import operator as op
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from typing import Any

import simpleeval
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.task import Task

from engine.workflow.functions import FUNCTIONS, ScriptFunctionError

MAX_SIZE = 100_000  # characters of a string, items of a list or dict (nested ones counted)
MAX_NUMBER = 10**100
MAX_DEPTH = 100  # levels of nesting in one expression
STEP_SECONDS = 2.0  # the time one engine step (a task completed and what follows) may take

_deadline: ContextVar[float | None] = ContextVar("circuit_step_deadline", default=None)


class ExpressionError(ValueError):
    """An expression that breaks the rules or the limits; the message says what (Romanian)."""


class StepTimeout(ExpressionError):
    """An engine step ran past its time limit."""


@contextmanager
def time_limit(seconds: float | None = None) -> Iterator[None]:
    """Stop the expressions evaluated inside once `seconds` (STEP_SECONDS) have passed."""
    token = _deadline.set(time.monotonic() + (STEP_SECONDS if seconds is None else seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_time() -> None:
    """Raise StepTimeout if the current engine step ran past its time limit."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise StepTimeout(
            f"Pasul a durat mai mult de {STEP_SECONDS:g} secunde (o buclă fără sfârșit în "
            "diagramă, sau un calcul prea lung) și a fost oprit."
        )


# --- the rules, checked on the parse tree before anything is evaluated -------------------

_NODES = (
    ast.Expression, ast.Module, ast.Assign, ast.Name, ast.Load, ast.Store, ast.Constant,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword,
    ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Dict,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.UAdd, ast.USub, ast.Not, ast.And, ast.Or,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
)  # fmt: skip
_NAMED = {
    ast.Attribute: "accesul la atribute (a.b)",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensiunile",
    ast.SetComp: "comprehensiunile",
    ast.DictComp: "comprehensiunile",
    ast.GeneratorExp: "generatoarele",
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.For: "buclele",
    ast.While: "buclele",
    ast.JoinedStr: 'șirurile f"..."',
    ast.NamedExpr: "atribuirea în expresie (:=)",
    ast.Starred: "despachetarea cu *",
    ast.Set: "mulțimile {a, b}",
    ast.AugAssign: "atribuirea compusă (+=)",
    ast.FunctionDef: "definirea de funcții",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_ALLOWED_CONSTANTS = (str, int, float, bool, type(None))


def _refuse(node: ast.AST, what: str) -> ExpressionError:
    line = getattr(node, "lineno", None)
    return ExpressionError(f"{what}" + (f" (rândul {line})" if line and line > 1 else ""))


def _too_deep(tree: ast.AST) -> bool:
    """Tell whether the parse tree nests deeper than MAX_DEPTH."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def _check_tree(tree: ast.AST) -> None:
    """Raise ExpressionError at the first construct the rules forbid."""
    if _too_deep(tree):
        raise ExpressionError(f"Expresia este prea adâncă (peste {MAX_DEPTH} de niveluri).")
    for node in ast.walk(tree):
        kind = type(node)
        if kind not in _NODES:
            name = _NAMED.get(kind, f"construcția {kind.__name__}")
            raise _refuse(node, f"Într-o expresie din diagramă nu sunt permise: {name}.")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise _refuse(node, f"Numele „{node.id}” începe cu „_”: nu este permis.")
        if isinstance(node, ast.Constant) and not isinstance(node.value, _ALLOWED_CONSTANTS):
            raise _refuse(node, f"Valoarea {node.value!r:.30} nu este permisă.")
        if isinstance(node, ast.Subscript):
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if isinstance(key, str) and key.startswith("_"):
                raise _refuse(node, f"Cheia „{key}” începe cu „_”: nu este permisă.")
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                raise _refuse(
                    node, f"Metodele (.{node.func.attr}(...)) nu sunt permise; folosiți funcțiile."
                )
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = getattr(node.func, "id", "apelată")
                raise _refuse(
                    node,
                    f"Funcția „{called}” nu există; se pot folosi: {', '.join(FUNCTIONS)}.",
                )
            if any(k.arg is None for k in node.keywords):
                raise _refuse(node, "Despachetarea cu ** nu este permisă.")
        if isinstance(node, ast.Dict) and any(k is None for k in node.keys):
            raise _refuse(node, "Despachetarea cu ** nu este permisă.")
        if isinstance(node, ast.BinOp) and _is_constant(node):
            token = _deadline.set(None)  # the text is checked once, outside any step's clock
            try:  # 10**10**10 or "a" * 10**9 in the text itself: refuse it now
                _Evaluator({}).run(node)
            except (ExpressionError, ArithmeticError, TypeError, ValueError, RecursionError) as exc:
                raise _refuse(node, f"Calculul nu se poate face: {_reason(exc)}") from exc
            finally:
                _deadline.reset(token)


def _is_constant(node: ast.AST) -> bool:
    return not any(isinstance(n, ast.Name | ast.Call) for n in ast.walk(node))


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ExpressionError) else f"{type(exc).__name__}: {exc}"


def _syntax(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"{exc.msg} (rândul {exc.lineno})" if exc.lineno and exc.lineno > 1 else exc.msg
    return "prea lungă sau prea adâncă" if not isinstance(exc, ValueError) else str(exc)


def _source(text: str) -> str:
    return textwrap.dedent(text or "").strip()


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> ast.expr:
    """Parse and check a condition or timer expression; raise ExpressionError if refused."""
    if not _source(text):
        raise ExpressionError("Expresia este goală.")
    try:
        tree = ast.parse(_source(text), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(
            f"Expresia „{_source(text):.80}” nu este corectă: {_syntax(exc)}."
        ) from None
    _check_tree(tree)
    return tree.body


@lru_cache(maxsize=4096)
def parse_script(text: str) -> tuple[tuple[str, ast.expr], ...]:
    """Parse and check a script task's `name = expression` lines; raise ExpressionError."""
    try:
        tree = ast.parse(_source(text), mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"Scriptul nu este corect: {_syntax(exc)}.") from None
    lines = []
    for statement in tree.body:
        if (
            not isinstance(statement, ast.Assign)
            or len(statement.targets) != 1
            or not isinstance(statement.targets[0], ast.Name)
        ):
            raise _refuse(
                statement,
                "Un script are doar rânduri „nume = expresie” (fără bucle, if, import, "
                "def sau atribuiri multiple).",
            )
        _check_tree(statement)
        lines.append((statement.targets[0].id, statement.value))
    return tuple(lines)


# --- bounded operators and values ---------------------------------------------------------


def _size(value: Any, budget: int = MAX_SIZE) -> int:
    """Return how many characters and items a value holds (nested ones too), up to budget+1."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | dict):
        total = len(value)
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for key, item in items:
            if total > budget:
                break
            total += _size(key, budget - total) + _size(item, budget - total)
        return total
    return 0


def _check_value(value: Any) -> None:
    """Refuse a value past the limits, or of a kind that is not plain data."""
    if isinstance(value, bool) or value is None or isinstance(value, slice):
        return
    if isinstance(value, int | float):
        if not -MAX_NUMBER <= value <= MAX_NUMBER and value == value:
            raise ExpressionError("Numărul depășește 10**100.")
        return
    if not isinstance(value, str | list | tuple | dict):
        raise ExpressionError(f"Valoarea de tip {type(value).__name__} nu este permisă.")
    if _size(value) > MAX_SIZE:
        raise ExpressionError(f"Textul sau lista depășește {MAX_SIZE} de caractere/elemente.")
    if isinstance(value, list | tuple | dict):
        for item in value.values() if isinstance(value, dict) else value:
            _check_value(item)


def _power(base: Any, exponent: Any) -> Any:
    number = int | float
    if isinstance(base, number) and isinstance(exponent, number) and exponent > 0:
        if abs(base) > 1 and exponent * math.log10(abs(base)) > 100:
            raise ExpressionError(f"{base} ** {exponent} depășește 10**100.")
    return base**exponent


def _times(a: Any, b: Any) -> Any:
    for seq, count in ((a, b), (b, a)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            if count > 0 and _size(seq) * count > MAX_SIZE:
                raise ExpressionError(f"Rezultatul ar depăși {MAX_SIZE} de caractere/elemente.")
    return a * b


def _modulo(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise ExpressionError("Formatarea textului cu % nu este permisă; folosiți +.")
    return a % b


OPERATORS: dict[type, Any] = {
    ast.Add: op.add,  # results are bounded after each node; operands already are
    ast.Sub: op.sub,
    ast.Mult: _times,
    ast.Div: op.truediv,
    ast.FloorDiv: op.floordiv,
    ast.Mod: _modulo,
    ast.Pow: _power,
    ast.Eq: op.eq,
    ast.NotEq: op.ne,
    ast.Gt: op.gt,
    ast.Lt: op.lt,
    ast.GtE: op.ge,
    ast.LtE: op.le,
    ast.Not: op.not_,
    ast.USub: op.neg,
    ast.UAdd: op.pos,
    ast.In: lambda x, y: x in y,
    ast.NotIn: lambda x, y: x not in y,
    ast.Is: lambda x, y: x is y,
    ast.IsNot: lambda x, y: x is not y,
}


class _Evaluator(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]  # simpleeval: no types
    """simpleeval with Circuit's functions, names from task data, limits and the clock."""

    def __init__(self, names: dict[str, Any]) -> None:
        super().__init__(operators=OPERATORS, functions={}, names=names)
        self.functions = dict(FUNCTIONS)
        for kind in (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.Set, ast.Attribute,
                     ast.JoinedStr, ast.FormattedValue, ast.AugAssign, ast.Assign,
                     ast.Import, ast.Expr):  # fmt: skip
            self.nodes.pop(kind, None)

    def run(self, node: ast.AST) -> Any:
        """Evaluate a checked node of the parse tree."""
        return self._eval(node)

    def _eval(self, node: ast.AST) -> Any:
        check_time()
        try:
            return super()._eval(node)
        except simpleeval.InvalidExpression as exc:
            raise ExpressionError(str(exc)) from exc

    def _check_disallowed_items(self, item: Any) -> None:
        _check_value(item)

    def _eval_name(self, node: ast.Name) -> Any:
        if node.id.startswith("_"):
            raise ExpressionError(f"Numele „{node.id}” începe cu „_”: nu este permis.")
        try:
            return self.names[node.id]
        except KeyError:
            raise ExpressionError(f"Variabila „{node.id}” nu are valoare în acest pas.") from None

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        key = self._eval(node.slice)
        if isinstance(key, str) and key.startswith("_"):
            raise ExpressionError(f"Cheia „{key}” începe cu „_”: nu este permisă.")
        return container[key]

    def _eval_call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            raise ExpressionError("Se pot apela doar funcțiile din ghidul de proiectare.")
        args = [self._eval(a) for a in node.args]
        kwargs = {k.arg: self._eval(k.value) for k in node.keywords if k.arg is not None}
        try:
            return self.functions[node.func.id](*args, **kwargs)
        except ScriptFunctionError as exc:
            raise ExpressionError(f"{node.func.id}: {exc}") from exc


def _plain(value: Any) -> Any:
    """Return the value as JSON data (tuples become lists), or refuse it."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ExpressionError("Cheile unui dicționar salvat trebuie să fie texte.")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, slice):
        raise ExpressionError("O felie (a:b) nu se poate salva ca valoare.")
    return value


# One evaluator per thread, given the names of each evaluation: making one copies
# simpleeval's tables (about 0.1 ms, twice or more for every step a request takes).
_evaluators = threading.local()


def _evaluator(names: dict[str, Any]) -> _Evaluator:
    evaluator: _Evaluator | None = getattr(_evaluators, "one", None)
    if evaluator is None:
        evaluator = _evaluators.one = _Evaluator({})
    evaluator.names = names
    return evaluator


def evaluate(text: str, data: dict[str, Any]) -> Any:
    """Evaluate a condition or timer expression on task data."""
    return _evaluator(dict(data)).run(parse_expression(text))


def execute(text: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a script task's assignments on task data; return the variables it set."""
    names = dict(data)
    assigned: dict[str, Any] = {}
    for name, node in parse_script(text):
        value = _plain(_evaluator(names).run(node))
        names[name] = assigned[name] = value
    return assigned


class ExpressionEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # SpiffWorkflow: no types
    """SpiffWorkflow's script environment, evaluating with the rules above."""

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        context.update(execute(script, {**(external_context or {}), **context}))
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError("Sarcinile de tip serviciu nu sunt folosite în Circuit.")


class CircuitScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow: no types
    """The script engine: restricted expressions, and timers that must give an instant."""

    def __init__(self) -> None:
        super().__init__(environment=ExpressionEnvironment())

    def validate(self, expression: str) -> None:
        parse_expression(expression)

    def evaluate(self, task: Task, expression: str, external_context: Any = None) -> Any:
        value = super().evaluate(task, expression, external_context)
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimeDateEventDefinition) and not _is_instant(value):
            raise WorkflowTaskException(
                f"timeDate „{expression}” a dat {value!r:.60}, nu un moment ISO 8601 "
                "cu fus orar (folosiți moment(zi)).",
                task=task,
            )
        return value


def _is_instant(value: Any) -> bool:
    if not isinstance(value, str) or value.upper().startswith("P"):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None  # a date alone is ambiguous
    except ValueError:
        return False


def make_script_engine() -> PythonScriptEngine:
    """Return the script engine every workflow in Circuit runs with."""
    return CircuitScriptEngine()
