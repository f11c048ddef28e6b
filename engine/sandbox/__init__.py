"""A real sandbox for the expressions and scripts analysts put in packages.

Three layers, each enough to stop what the previous one lets through:

1. `check_source` (check.py): an allow-list of syntax; no imports, private or
   dunder names, `while`, definitions, lambda, `try`, `with`...
2. the rewriter (rewrite.py): every attribute access, call, operator, loop,
   slice and f-string is routed through a guard; code is compiled once and
   cached per (source, mode);
3. the guards (runtime.py, policy.py): restricted builtins, per-type
   attribute allow-lists, size checks before `*`, `**`, `<<`, `+`, `%`,
   `range`, padding; a loop-iteration budget and a wall-clock deadline.

Public interface: `check_source`, `evaluate`, `execute`, `make_script_engine`,
`SandboxEnvironment`, `SandboxError`, `Limits`.
"""

from .check import check_source
from .environment import (
    SandboxEnvironment,
    SandboxScriptEngine,
    evaluate,
    execute,
    make_script_engine,
)
from .limits import DEFAULT_LIMITS, Limits, SandboxError

__all__ = [
    "check_source",
    "evaluate",
    "execute",
    "make_script_engine",
    "SandboxEnvironment",
    "SandboxScriptEngine",
    "SandboxError",
    "Limits",
    "DEFAULT_LIMITS",
]
