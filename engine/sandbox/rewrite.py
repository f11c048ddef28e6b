"""Rewriting checked code so every risky operation goes through a run-time guard,
and the cache of the resulting code objects.

The same gateway condition is evaluated for every case, so parsing, checking,
rewriting and compiling happen once per (source, mode); refusals are cached
too, so a hostile expression costs no more the second time.
"""

from __future__ import annotations

import ast
import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .check import check_tree, parse_source, referenced_names
from .limits import DEFAULT_LIMITS, Limits, SandboxError

CACHE_SIZE = 2048


@dataclass(frozen=True)
class Compiled:
    code: object
    names: frozenset[str]  # every plain name the code uses


def _call(helper: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=list(args), keywords=[])


def _load(target: ast.expr) -> ast.expr:
    """The same target, read instead of written (for `x += y` -> `x = x + y`)."""
    node = copy.deepcopy(target)
    node.ctx = ast.Load()
    return node


class Guard(ast.NodeTransformer):
    """Route attribute access, calls, operators, loops and unpacking to guards."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        return _call("_sb_attr", node.value, ast.Constant(node.attr))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return ast.Call(
            func=ast.Name(id="_sb_call", ctx=ast.Load()),
            args=[node.func, *node.args],
            keywords=node.keywords,
        )

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        return _call("_sb_binop", ast.Constant(type(node.op).__name__), node.left, node.right)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        value = ast.BinOp(left=_load(node.target), op=node.op, right=node.value)
        assign = ast.Assign(targets=[node.target], value=value)
        return self.visit(ast.copy_location(assign, node))

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_sb_iter", node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_sb_iter", node.iter)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """`x in big` is a C loop: check the deadline first, keep chaining semantics."""
        self.generic_visit(node)
        return ast.BoolOp(op=ast.And(), values=[_call("_sb_tick"), node])

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.slice, ast.Slice) and isinstance(node.ctx, ast.Load):
            return _call("_sb_charge", node)  # a slice is a copy
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node.value = _call("_sb_fmt", self.visit(node.value))  # the spec stays constant
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        return _call("_sb_charge", node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        """Storing into a container (`d[k] = v`) counts like building one."""
        self.generic_visit(node)
        if any(isinstance(n, ast.Subscript) for t in node.targets for n in ast.walk(t)):
            node.value = _call("_sb_store", node.value)
        return node

    def _display(self, node: ast.AST, parts: list) -> ast.AST:
        """A literal holding computed values can hold many references to a big one."""
        self.generic_visit(node)
        if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) and not all(
            isinstance(p, ast.Constant) for p in parts if p is not None
        ):
            return _call("_sb_charge", node)
        return node

    def visit_List(self, node: ast.List) -> ast.AST:
        return self._display(node, node.elts)

    visit_Tuple = visit_Set = visit_List

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        return self._display(
            node, [*node.keys, *node.values] if None not in node.keys else [ast.Name("_")]
        )

    def _comprehension(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        return _call("_sb_charge", node)

    visit_ListComp = visit_SetComp = visit_DictComp = _comprehension


def rewrite(tree: ast.AST) -> ast.AST:
    return ast.fix_missing_locations(Guard().visit(tree))


_cache: OrderedDict[tuple, Compiled | str] = OrderedDict()  # str: why it was refused
_lock = threading.Lock()


def compiled(source: str, mode: str, limits: Limits = DEFAULT_LIMITS) -> Compiled:
    """The guarded code object for `source`, or SandboxError naming every problem."""
    key = (source, mode, limits)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is None:
        hit = _build(source, mode, limits)
        with _lock:
            _cache[key] = hit
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(hit, str):
        raise SandboxError(hit)
    return hit


def _build(source: str, mode: str, limits: Limits) -> Compiled | str:
    tree, problems = parse_source(source, mode, limits)
    if tree is not None:
        problems = check_tree(tree, mode, limits)
    if problems:
        what = "expression" if mode == "eval" else "script"
        return f"{what} refused: " + "; ".join(problems)
    try:
        names = referenced_names(tree)
        code = compile(rewrite(tree), "<string>", mode)
    except (RecursionError, MemoryError, SyntaxError, ValueError) as exc:
        return f"cannot be compiled: {exc.__class__.__name__}"
    return Compiled(code, names)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
