"""SpiffWorkflow's script environment, replaced by the sandbox.

SpiffWorkflow's own `TaskDataEnvironment` runs `eval`/`exec` with the real
builtins and copies every global into task data. Here:

- names resolve, in order, from task data (`context`), the external context
  SpiffWorkflow passes (data objects, a DMN input), the read-only variables
  the engine injects (the form's fields, earlier tasks' outputs), helper
  functions, and a short list of safe builtins;
- only the names the code actually uses are looked up, so the cost does not
  grow with the size of the form;
- a script's assignments go to task data and nothing else does: injected
  variables and helpers never land in task data, and a script cannot change
  them (it works on a private copy of any it reads).
"""

from __future__ import annotations

import ast
import copy
import functools
from typing import Any, Callable, Mapping, Sequence

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .limits import DEFAULT_LIMITS, Limits, SandboxError
from .rewrite import compiled
from .runtime import DATA_TYPES, Run

Layers = Sequence[Mapping[str, Any]]


def _seed(namespace: dict, names, layers: Layers) -> None:
    for name in names:
        for layer in layers:
            if name in layer:
                namespace[name] = layer[name]
                break


def run_expression(expression: str, layers: Layers, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Evaluate `expression` with names from `layers` (first layer wins)."""
    code = compiled(expression, "eval", limits)
    namespace = Run(limits, readonly=True).namespace()
    _seed(namespace, code.names, layers)
    return eval(code.code, namespace)  # noqa: S307 - checked, rewritten, restricted builtins


def run_script(script: str, data: dict, injected: Layers, limits: Limits = DEFAULT_LIMITS) -> None:
    """Execute `script`; its assignments (and deletions) change `data` only."""
    code = compiled(script, "exec", limits)
    namespace = Run(limits, readonly=False).namespace()
    _seed(namespace, (n for n in code.names if n in data), [data])
    seeded: dict[str, Any] = {}
    for name in code.names:
        if name not in namespace:
            _seed(seeded, [name], injected)
    seeded = {name: copy.deepcopy(value) for name, value in seeded.items()}
    namespace.update(seeded)
    exec(code.code, namespace)  # noqa: S102 - checked, rewritten, restricted builtins
    _write_back(namespace, data, seeded, code.names)


def _write_back(namespace: dict, data: dict, seeded: dict, names) -> None:
    for name in names:
        if name not in namespace:
            data.pop(name, None)  # `del name`
            continue
        value = namespace[name]
        if (name in seeded and value is seeded[name]) or (name in data and data[name] is value):
            continue  # read, not assigned
        if not isinstance(value, DATA_TYPES):
            raise SandboxError(
                f"the script left a {type(value).__name__} in '{name}'; "
                "task data can only hold data"
            )
        data[name] = value


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Sandboxed `evaluate`/`execute` with injected read-only variables."""

    def __init__(
        self,
        variables: Mapping[str, Any] | None = None,
        functions: Mapping[str, Callable] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ):
        super().__init__({})
        self.variables: Mapping[str, Any] = variables if variables is not None else {}
        self.functions: Mapping[str, Callable] = dict(functions or {})
        self.limits = limits

    def _injected(self, external_context) -> list[Mapping[str, Any]]:
        return [external_context or {}, self.variables, self.functions]

    def evaluate(self, expression, context, external_context=None):
        return run_expression(expression, [context, *self._injected(external_context)], self.limits)

    def execute(self, script, context, external_context=None):
        run_script(script, context, self._injected(external_context), self.limits)
        return True

    def call_service(self, context, **kwargs):
        raise SandboxError("service tasks are not supported")


class SandboxScriptEngine(PythonScriptEngine):
    """The script engine every workflow of a matter runs with (BPMN and DMN).

    SpiffWorkflow's DMN engine, gateways, timers, scripts and multi-instance
    loops all call `evaluate`/`execute`, which delegate to the environment.
    """

    def __init__(self, environment: SandboxEnvironment):
        super().__init__(environment=environment)

    def validate(self, expression):
        """Whether `expression` parses as Python (SyntaxError if not), as Spiff's own,
        but each text is parsed once per process: the DMN engine asks it of every
        rule's entries each time it evaluates a decision (profiled: 4 % of a
        completion's Spiff step went to parsing them again)."""
        syntax_error = _syntax_error(expression)
        if syntax_error is not None:
            raise SyntaxError(*syntax_error)


@functools.lru_cache(maxsize=4096)
def _syntax_error(expression: str) -> tuple | None:
    """The arguments of the SyntaxError parsing `expression` raises; None if it parses."""
    try:
        ast.parse(expression)
    except SyntaxError as exc:
        return exc.args
    return None


def make_script_engine(
    variables: Mapping[str, Any] | None = None,
    functions: Mapping[str, Callable] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> SandboxScriptEngine:
    return SandboxScriptEngine(SandboxEnvironment(variables, functions, limits))


def evaluate(
    expression: str,
    variables: Mapping[str, Any] | None = None,
    functions: Mapping[str, Callable] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """Evaluate one expression outside a workflow (materials' `when`)."""
    return run_expression(expression, [variables or {}, functions or {}], limits)


def execute(
    script: str,
    data: dict,
    variables: Mapping[str, Any] | None = None,
    functions: Mapping[str, Callable] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict:
    """Run one script outside a workflow; returns `data`, updated."""
    run_script(script, data, [variables or {}, functions or {}], limits)
    return data
