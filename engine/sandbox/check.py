"""Static check of analysts' expressions and scripts.

An allow-list of syntax: straight-line code, `if`, `for` over a bounded
iterable, comprehensions, literals, calls, subscripts and attribute access
to public data methods. Everything else (imports, loops without a bound,
definitions, exception handling, private or dunder names) is refused before
anything runs, so a package is rejected at deploy with a message naming
the construct, and the run-time guards only have to cover what is left.
"""

from __future__ import annotations

import ast
import re

from .limits import DEFAULT_LIMITS, Limits

FORBIDDEN_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "__import__",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "exit",
        "quit",
        "dir",
        "id",
        "print",
        "iter",
        "next",
        "aiter",
        "anext",
        "copyright",
        "credits",
        "license",
        "bytearray",
        "bytes",
    }
)

# Public attributes that still reach interpreter internals or format strings
# (`'{0.__class__}'.format(x)` reads attributes from inside a string).
FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map", "mro", "translate", "maketrans"})
_INTERNAL_ATTRIBUTE = re.compile(r"^(gi|f|co|cr|ag|tb|func|im)_")

MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "sort",
        "reverse",
        "update",
        "setdefault",
        "popitem",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)

SAFE_BUILTIN_NAMES = frozenset(
    {
        "len",
        "min",
        "max",
        "sum",
        "abs",
        "round",
        "sorted",
        "any",
        "all",
        "int",
        "float",
        "str",
        "bool",
        "list",
        "dict",
        "set",
        "frozenset",
        "tuple",
        "range",
        "enumerate",
        "zip",
        "reversed",
        "map",
        "filter",
        "isinstance",
        "chr",
        "ord",
        "divmod",
        "repr",
    }
)

_FORBIDDEN_NODES = {
    ast.While: "uses a while loop (use `for` over a bounded range)",
    ast.FunctionDef: "defines a function",
    ast.AsyncFunctionDef: "defines a function",
    ast.Lambda: "uses lambda",
    ast.ClassDef: "defines a class",
    ast.Import: "imports a module",
    ast.ImportFrom: "imports a module",
    ast.Global: "uses `global`",
    ast.Nonlocal: "uses `nonlocal`",
    ast.With: "uses `with`",
    ast.AsyncWith: "uses `with`",
    ast.Try: "uses `try`",
    ast.TryStar: "uses `try`",
    ast.Raise: "uses `raise`",
    ast.Assert: "uses `assert`",
    ast.Yield: "uses `yield`",
    ast.YieldFrom: "uses `yield`",
    ast.Await: "uses `await`",
    ast.AsyncFor: "uses `async for`",
    ast.NamedExpr: "uses the walrus operator `:=`",
    ast.Match: "uses `match`",
    ast.Return: "uses `return`",
    ast.AnnAssign: "uses an annotated assignment",
}

_ALLOWED_NODES = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Delete,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.IfExp,
    ast.Dict,
    ast.Set,
    ast.List,
    ast.Tuple,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Compare,
    ast.Call,
    ast.keyword,
    ast.Constant,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Name,
    ast.Starred,
    ast.expr_context,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)
# Parts of constructs refused above; reporting them again would only be noise.
_SILENT_NODES = (
    ast.arguments,
    ast.arg,
    ast.alias,
    ast.withitem,
    ast.excepthandler,
    ast.match_case,
    ast.pattern,
    ast.type_ignore,
)

_WIDTH = re.compile(r"\d+")


def check_source(source: str, mode: str = "eval", limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Every reason `source` may not run in the sandbox; empty when it may."""
    tree, problems = parse_source(source, mode, limits)
    if tree is None:
        return problems
    return check_tree(tree, mode, limits)


def parse_source(source: str, mode: str, limits: Limits = DEFAULT_LIMITS):
    """(tree, []) or (None, [problem]); never raises on hostile input."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if not isinstance(source, str):
        return None, [f"is not text but {type(source).__name__}"]
    if len(source) > limits.max_source:
        return None, [f"is too long ({len(source)} characters; the limit is {limits.max_source})"]
    try:
        text = source.strip() if mode == "eval" else source
        return ast.parse(text, mode=mode), []
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return None, [f"has a syntax error: {exc.msg}{where}"]
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, [f"cannot be parsed: {exc.__class__.__name__}"]


def check_tree(tree: ast.AST, mode: str, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    problems: list[str] = []
    multiline = mode == "exec"
    for node in ast.walk(tree):
        for message in _node_problems(node, mode, limits):
            line = getattr(node, "lineno", None)
            text = f"{message} (line {line})" if multiline and line else message
            if text not in problems:
                problems.append(text)
    return problems


def _node_problems(node: ast.AST, mode: str, limits: Limits) -> list[str]:
    kind = type(node)
    if kind in _FORBIDDEN_NODES:
        return [_FORBIDDEN_NODES[kind]]
    if isinstance(node, _SILENT_NODES):
        return []
    if not isinstance(node, _ALLOWED_NODES):
        return [f"uses `{kind.__name__}`, which is not allowed"]
    if isinstance(node, ast.Name):
        return _name_problems(node)
    if isinstance(node, ast.Attribute):
        return _attribute_problems(node, mode)
    if isinstance(node, ast.Starred) and isinstance(node.ctx, ast.Store):
        return ["uses starred assignment"]
    if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        return _format_spec_problems(node.format_spec, limits)
    if isinstance(node, (ast.For, ast.comprehension)) and not _plain_target(node.target):
        return ["loops over something other than plain names"]
    return []


def _plain_target(target: ast.AST) -> bool:
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_plain_target(t) for t in target.elts)
    return isinstance(target, ast.Name)


def _name_problems(node: ast.Name) -> list[str]:
    name = node.id
    if name.startswith("_") or name in FORBIDDEN_NAMES:
        return [f"uses forbidden name '{name}'"]
    if isinstance(node.ctx, (ast.Store, ast.Del)) and name in SAFE_BUILTIN_NAMES:
        return [f"assigns to the built-in name '{name}'"]
    return []


def _attribute_problems(node: ast.Attribute, mode: str) -> list[str]:
    name = node.attr
    if name.startswith("_") or name in FORBIDDEN_ATTRIBUTES or _INTERNAL_ATTRIBUTE.match(name):
        return [f"uses forbidden attribute '{name}'"]
    if not isinstance(node.ctx, ast.Load):
        return [f"assigns to attribute '{name}' (assign to a name or a key instead)"]
    if mode == "eval" and name in MUTATING_METHODS:
        return [f"modifies data with '.{name}()', which an expression must not do"]
    return []


def _format_spec_problems(spec: ast.AST, limits: Limits) -> list[str]:
    """f-string format specs can pad to any width: keep them constant and small."""
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
        return ["uses a computed f-string format specification"]
    text = "".join(p.value for p in parts)
    if any(int(m) > limits.max_format_width for m in _WIDTH.findall(text)):
        return [f"uses an f-string width above {limits.max_format_width}"]
    return []


def referenced_names(tree: ast.AST) -> frozenset[str]:
    """Every plain name the code reads, writes or deletes (for namespace building)."""
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
