"""Bounds on what one engine step may make: instances of a multi-instance task or a loop.

SpiffWorkflow creates every instance of a parallel multi-instance task at once, however many
its `loopCardinality` or its input collection asks for, and repeats a standard loop for as
long as its condition holds. The catalog entry's `max_instances` (default 100) bounds them:
the count is checked before the engine creates a single instance, and every repetition of a
loop is counted. Each procedure version's specs are guarded once, when they are parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
    StandardLoopTask,
)
from SpiffWorkflow.task import Task

from engine.platform.errors import Invalid, ProcessFailure

MAX_INSTANCES = 100  # the default of a catalog entry's `max_instances`
_limit: ContextVar[int] = ContextVar("circuit_max_instances", default=MAX_INSTANCES)
_NAME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*$")


class TooManyInstances(Invalid):
    """A value asks a step to run more times than the procedure allows; nothing is saved."""

    counts_as_attempt = True  # the engine ran: the submission throttle keeps the slot


class LoopTooLong(ProcessFailure):
    """A loop of the diagram ran past the procedure's limit; nothing is saved."""


@contextmanager
def max_instances(limit: int | None) -> Iterator[None]:
    """Bound the instances and repetitions of every step run inside (None: the default)."""
    token = _limit.set(MAX_INSTANCES if limit is None else limit)
    try:
        yield
    finally:
        _limit.reset(token)


def limit() -> int:
    """Return the bound in force for the current engine step."""
    return _limit.get()


def _task_name(spec: Any, my_task: Task | None = None) -> str:
    inner = getattr(spec, "task_spec", None)  # a loop wraps the task the designer named
    if my_task is not None and isinstance(inner, str):
        spec = my_task.workflow.spec.task_specs.get(inner, spec)
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _times(n: int) -> str:
    """Return „n ori” with the „de” Romanian puts after 20, 100, 1000..."""
    return f"{n} {'de ' if n % 100 >= 20 or (n and n % 100 == 0) else ''}ori"


def _refuse(spec: Any, my_task: Task, count: int, variable: str | None) -> None:
    bound, name = limit(), _task_name(spec, my_task)
    if variable:
        message = (
            f"Pasul „{name}” s-ar repeta de {_times(count)}, peste limita procedurii "
            f"({bound}). Scrieți o valoare de cel mult {bound}."
        )
        raise TooManyInstances([{"field": f"/{variable}", "message": message}], message)
    raise LoopTooLong(
        f"Pasul „{name}” s-ar repeta de peste {_times(bound)}, limita procedurii, așa că a fost "
        "oprit. Nu s-a salvat nimic; administratorul trebuie să corecteze diagrama.",
        element=getattr(spec, "bpmn_id", None),
    )


def _variable(spec: MultiInstanceTask) -> str | None:
    """Return the variable the count comes from, when it is a plain name (a form field)."""
    if spec.data_input is not None:
        return str(spec.data_input.bpmn_id)
    match = _NAME.match(spec.cardinality or "")
    return match.group(1) if match else None


def _check_count(spec: MultiInstanceTask, my_task: Task, count: Any) -> None:
    if isinstance(count, bool) or not isinstance(count, int | float):
        return  # not a number: SpiffWorkflow refuses it, as a process error
    if count > limit():
        _refuse(spec, my_task, int(count), _variable(spec))


def _parallel_count(spec: MultiInstanceTask, my_task: Task) -> Any:
    """Return how many instances a parallel multi-instance task is about to make."""
    if spec.data_input is not None:
        if not spec.data_input.exists(my_task):
            return None  # SpiffWorkflow says what is missing
        collection = spec.data_input.get(my_task)
        return len(collection) if isinstance(collection, Sized) else None
    return my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)


def _guard_parallel(spec: ParallelMultiInstanceTask) -> None:
    original = spec.create_children

    def create_children(my_task: Task) -> Any:
        _check_count(spec, my_task, _parallel_count(spec, my_task))  # before a single one is made
        return original(my_task)

    spec.create_children = create_children


def _guard_sequential(spec: SequentialMultiInstanceTask) -> None:
    original = spec.add_next_child

    def add_next_child(my_task: Task) -> Any:
        data = my_task.internal_data
        if "cardinality" in data:
            _check_count(spec, my_task, data["cardinality"])
        else:
            _check_count(
                spec, my_task, len(data.get("merged", [])) + len(data.get("remaining", []))
            )
        return original(my_task)

    spec.add_next_child = add_next_child


def _guard_loop(spec: StandardLoopTask) -> None:
    original_update, original_child = spec._update_hook, spec.create_child

    def _update_hook(my_task: Task) -> Any:
        if spec.maximum is not None and spec.maximum > limit():
            _refuse(spec, my_task, spec.maximum, None)
        return original_update(my_task)

    def create_child(my_task: Task) -> Any:
        if len(my_task.internal_data.get("merged", [])) >= limit():
            _refuse(spec, my_task, limit() + 1, None)
        return original_child(my_task)

    spec._update_hook = _update_hook
    spec.create_child = create_child


def guard(*processes: BpmnProcessSpec | None) -> None:
    """Make the loops and multi-instance tasks of these process specs check the bound."""
    for process in processes:
        if process is None:
            continue
        for spec in process.task_specs.values():
            if getattr(spec, "_circuit_bounded", False):
                continue
            if isinstance(spec, ParallelMultiInstanceTask):
                _guard_parallel(spec)
            elif isinstance(spec, SequentialMultiInstanceTask):
                _guard_sequential(spec)
            elif isinstance(spec, StandardLoopTask):
                _guard_loop(spec)
            else:
                continue
            spec._circuit_bounded = True
