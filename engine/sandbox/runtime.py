"""Run-time guards: what the rewritten code calls instead of the raw operation.

The static check cannot know sizes (`'a' * n`, `range(n)`) or how long a
loop runs, so the rewriter (rewrite.py) routes every attribute access, call,
binary operation, loop and large literal through one `Run`, which holds the
budget of a single evaluation. A `Run` is created per evaluation, so
concurrent evaluations never share counters.

Chosen over `sys.settrace`: a tracer slows every line of every evaluation,
is replaced by (and replaces) debuggers and coverage, and still cannot stop a
single C-level operation such as `'a' * 10**10`; the guards here refuse that
operation before it allocates anything.
"""
from __future__ import annotations

import builtins
import datetime as dt
import decimal
import functools
import operator
import re
import uuid
from time import monotonic
from typing import Any, Callable

from .check import MUTATING_METHODS
from .limits import DEFAULT_LIMITS, Limits, SandboxError
from .policy import COPY, GROW, JOIN, policy_for

_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, bytes, list, tuple)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": operator.add, "Sub": operator.sub, "Mult": operator.mul, "Div": operator.truediv,
    "FloorDiv": operator.floordiv, "Mod": operator.mod, "Pow": operator.pow,
    "LShift": operator.lshift, "RShift": operator.rshift, "BitOr": operator.or_,
    "BitXor": operator.xor, "BitAnd": operator.and_, "MatMult": operator.matmul,
}


class Run:
    """The budget of one evaluation: loop iterations, allocations, a deadline."""

    __slots__ = ("limits", "readonly", "deadline", "iterations", "allocated")

    def __init__(self, limits: Limits = DEFAULT_LIMITS, readonly: bool = True):
        self.limits = limits
        self.readonly = readonly  # expressions may not mutate what they read
        self.deadline = monotonic() + limits.timeout
        self.iterations = 0
        self.allocated = 0

    def namespace(self) -> dict[str, Any]:
        """The guard functions under the names the rewriter uses."""
        return {"__builtins__": safe_builtins(self.limits), "_sb_attr": self.attr,
                "_sb_call": self.call, "_sb_binop": self.binop, "_sb_iter": self.iterate,
                "_sb_charge": self.charge, "_sb_tick": self.tick}

    # -- time ---------------------------------------------------------------
    def tick(self) -> bool:
        if monotonic() > self.deadline:
            raise SandboxError(f"took longer than {self.limits.timeout:g} s")
        return True

    def iterate(self, iterable):
        """Every `for` and comprehension loops through here: count and time it."""
        limit, deadline = self.limits.max_iterations, self.deadline
        for item in iterable:
            self.iterations += 1
            if self.iterations > limit:
                raise SandboxError(f"ran more than {limit} loop iterations")
            if monotonic() > deadline:
                raise SandboxError(f"took longer than {self.limits.timeout:g} s")
            yield item

    # -- memory -------------------------------------------------------------
    def charge(self, value: Any) -> Any:
        """Count a freshly built value against the size limits; return it."""
        if isinstance(value, _SIZED):
            self._charge_size(len(value))
        elif type(value) is int and value.bit_length() > self.limits.max_int_bits:
            raise SandboxError(f"built an integer above {self.limits.max_int_bits} bits")
        return value

    def _charge_size(self, size: int) -> None:
        self._refuse_size(size)
        self.allocated += size
        if self.allocated > self.limits.max_allocated:
            raise SandboxError(f"built more than {self.limits.max_allocated} items or "
                               "characters in total")

    def _refuse_size(self, size: int) -> None:
        if size > self.limits.max_length:
            raise SandboxError(f"would build a value of {size} items or characters "
                               f"(the limit is {self.limits.max_length})")

    # -- operations ---------------------------------------------------------
    def binop(self, op: str, left: Any, right: Any) -> Any:
        self.tick()
        precheck = _PRECHECKS.get(op)
        if precheck is not None:
            precheck(self, left, right)
        return self.charge(OPERATORS[op](left, right))

    def call(self, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.tick()
        result = func(*args, **kwargs)
        if _is_copying(func):
            self.charge(result)
        return result

    def attr(self, obj: Any, name: str) -> Any:
        """Public data methods and fields only; nothing on types, functions, frames."""
        self.tick()
        policy = policy_for(type(obj))
        if policy is None or name not in policy or (self.readonly and name in MUTATING_METHODS):
            raise SandboxError(f"'{name}' of a {type(obj).__name__} value is not available")
        value = getattr(obj, name)
        kind = policy[name]
        if kind is None:
            return value
        return functools.partial(self._method, kind, obj, value)

    def _method(self, kind, obj, method, *args, **kwargs):
        if kind is JOIN:
            return self._join(obj, *args)
        if kind is GROW:
            before = len(obj)
            result = method(*args, **kwargs)
            self._charge_size(max(0, len(obj) - before))
            self._refuse_size(len(obj))
            return result
        if kind is not COPY:
            self._refuse_size(_predicted(kind, obj, args, kwargs))
        return self.charge(method(*args, **kwargs))

    def _join(self, separator, iterable=(), /):
        items = list(self.iterate(iterable))
        if all(isinstance(item, type(separator)) for item in items):
            total = sum(map(len, items)) + len(separator) * max(0, len(items) - 1)
            self._refuse_size(total)
        return self.charge(separator.join(items))


def _predicted(predict, obj, args, kwargs) -> int:
    try:
        return predict(obj, *args, **kwargs)
    except (TypeError, ValueError):
        return 0  # the real call will raise the analyst's error


def _is_copying(func: Any) -> bool:
    try:
        return func in _COPYING
    except TypeError:  # unhashable callable
        return False


# -- binary operation prechecks: refuse before allocating ---------------------

def _check_mult(run: Run, left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and isinstance(times, int):
            run._refuse_size(len(seq) * max(0, times))
            return
    if isinstance(left, int) and isinstance(right, int):
        _refuse_bits(run, left.bit_length() + right.bit_length())


def _check_pow(run: Run, base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _refuse_bits(run, (abs(base).bit_length() - 1) * exponent)


def _check_lshift(run: Run, left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and right > 0:
        _refuse_bits(run, left.bit_length() + right)


def _check_add(run: Run, left: Any, right: Any) -> None:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        run._refuse_size(len(left) + len(right))


def _check_mod(run: Run, left: Any, right: Any) -> None:
    """`'%999999999d' % 1` pads to any width: bound widths and forbid `*`."""
    if isinstance(left, bytes):
        left = left.decode("latin-1")
    if not isinstance(left, str):
        return
    for match in _PERCENT_SPEC.finditer(left):
        for part in match.groups():
            if part == "*" or (part and int(part) > run.limits.max_format_width):
                raise SandboxError("uses a %-format width that is computed or above "
                                   f"{run.limits.max_format_width}")


def _refuse_bits(run: Run, bits: int) -> None:
    if bits > run.limits.max_int_bits:
        raise SandboxError(f"would build an integer of about {bits} bits "
                           f"(the limit is {run.limits.max_int_bits})")


_PRECHECKS = {"Mult": _check_mult, "Pow": _check_pow, "LShift": _check_lshift,
              "Add": _check_add, "Mod": _check_mod}


# -- builtins -----------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def safe_builtins(limits: Limits) -> dict[str, Any]:
    """The only builtins code in the sandbox can name; sized ones are capped."""

    def range_(*args):
        r = range(*args)
        try:
            size = len(r)
        except OverflowError:
            size = limits.max_length + 1
        if size > limits.max_length:
            raise SandboxError(f"range of {size} numbers is above the limit "
                               f"of {limits.max_length}")
        return r

    def sum_(iterable, /, start=0):
        if not isinstance(start, (int, float)):
            raise SandboxError("sum() only adds numbers")
        return sum(iterable, start)

    def round_(number, ndigits=None):
        if ndigits is None:
            return round(number)
        if isinstance(ndigits, int) and abs(ndigits) > 100:
            raise SandboxError("round() to more than 100 digits")
        return round(number, ndigits)

    names = {name: getattr(builtins, name) for name in _PLAIN_BUILTINS}
    names.update(range=range_, sum=sum_, round=round_)
    return names


_PLAIN_BUILTINS = ("len", "min", "max", "abs", "sorted", "any", "all", "int", "float", "str",
                   "bool", "list", "dict", "set", "frozenset", "tuple", "enumerate", "zip",
                   "reversed", "map", "filter", "isinstance", "chr", "ord", "divmod", "repr")
_COPYING = frozenset({list, tuple, set, frozenset, dict, sorted, str, repr})
# What a script may leave in task data: what SpiffWorkflow can serialize.
DATA_TYPES = (type(None), bool, int, float, str, list, tuple, dict, dt.date, dt.datetime,
              dt.time, dt.timedelta, decimal.Decimal, uuid.UUID)
