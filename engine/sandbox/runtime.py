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
import uuid
from time import monotonic
from typing import Any, Callable

from .check import MUTATING_METHODS
from .limits import DEFAULT_LIMITS, Limits, SandboxError
from .policy import COPY, GROW, JOIN, policy_for
from .sizes import PRECHECKS, SIZED, check_formattable, deep_size, refuse_bits, refuse_length

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": operator.add,
    "Sub": operator.sub,
    "Mult": operator.mul,
    "Div": operator.truediv,
    "FloorDiv": operator.floordiv,
    "Mod": operator.mod,
    "Pow": operator.pow,
    "LShift": operator.lshift,
    "RShift": operator.rshift,
    "BitOr": operator.or_,
    "BitXor": operator.xor,
    "BitAnd": operator.and_,
    "MatMult": operator.matmul,
}


class Run:
    """The budget of one evaluation: loop iterations, allocations, a deadline."""

    __slots__ = ("limits", "readonly", "deadline", "iterations", "allocated", "sizes")

    def __init__(self, limits: Limits = DEFAULT_LIMITS, readonly: bool = True):
        self.limits = limits
        self.readonly = readonly  # expressions may not mutate what they read
        self.deadline = monotonic() + limits.timeout
        self.iterations = 0
        self.allocated = 0
        self.sizes: dict[int, tuple[Any, int]] = {}  # id -> (value, deep size) measured

    def namespace(self) -> dict[str, Any]:
        """The guard functions under the names the rewriter uses."""
        return {
            "__builtins__": safe_builtins(self.limits),
            "_sb_attr": self.attr,
            "_sb_call": self.call,
            "_sb_binop": self.binop,
            "_sb_iter": self.iterate,
            "_sb_charge": self.charge,
            "_sb_store": self.store,
            "_sb_fmt": self.formattable,
            "_sb_tick": self.tick,
        }

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

    # -- memory ---------------------------------------------------------------
    def charge(self, value: Any) -> Any:
        """Count a value the code built (or stored) by its deep size; return it."""
        if isinstance(value, SIZED):
            refuse_length(self.limits, len(value))
            remaining = self.limits.max_allocated - self.allocated
            size = deep_size(value, remaining, self.sizes, self.deadline)
            self.allocated += size
            if size <= remaining:
                self.sizes[id(value)] = (value, size)  # kept alive: ids stay unique
            if self.allocated > self.limits.max_allocated:
                raise SandboxError(
                    f"built more than {self.limits.max_allocated} items or characters in total"
                )
        elif type(value) is int and value.bit_length() > self.limits.max_int_bits:
            refuse_bits(self.limits, value.bit_length())
        return value

    def store(self, value: Any) -> Any:
        """A value stored into a container: containers changed, so forget sizes."""
        self.sizes.clear()
        return self.charge(value)

    def formattable(self, value: Any) -> Any:
        """An f-string's value, checked before it is written out."""
        return check_formattable(self.limits, value)

    # -- operations ---------------------------------------------------------
    def binop(self, op: str, left: Any, right: Any) -> Any:
        self.tick()
        precheck = PRECHECKS.get(op)
        if precheck is not None:
            precheck(self.limits, left, right)
        return self.charge(OPERATORS[op](left, right))

    def call(self, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.tick()
        if args and (func is str or func is repr):
            check_formattable(self.limits, args[0])
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
            return self._grow(obj, method, args, kwargs)
        if kind is not COPY:
            refuse_length(self.limits, _predicted(kind, obj, args, kwargs))
        return self.charge(method(*args, **kwargs))

    def _grow(self, obj, method, args, kwargs):
        """In-place growth: what goes in is charged like a new value, size checked after."""
        args = tuple(self._materialized(a) for a in args)
        kwargs = {k: self._materialized(v) for k, v in kwargs.items()}
        for value in (*args, *kwargs.values()):
            self.charge(value)
        self.sizes.clear()
        result = method(*args, **kwargs)
        refuse_length(self.limits, len(obj))
        return result

    def _materialized(self, value):
        """A lazy iterable (generator, zip, range...) as a list, counted as it is read."""
        if isinstance(value, SIZED + DATA_TYPES) or not hasattr(value, "__iter__"):
            return value
        return list(self.iterate(value))

    def _join(self, separator, iterable=(), /):
        items = list(self.iterate(iterable))
        if all(isinstance(item, type(separator)) for item in items):
            total = sum(map(len, items)) + len(separator) * max(0, len(items) - 1)
            refuse_length(self.limits, total)
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
            raise SandboxError(f"range of {size} numbers is above the limit of {limits.max_length}")
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


_PLAIN_BUILTINS = (
    "len",
    "min",
    "max",
    "abs",
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
)
_COPYING = frozenset({list, tuple, set, frozenset, dict, sorted, str, repr})
# What a script may leave in task data: what SpiffWorkflow can serialize.
DATA_TYPES = (
    type(None),
    bool,
    int,
    float,
    str,
    list,
    tuple,
    dict,
    dt.date,
    dt.datetime,
    dt.time,
    dt.timedelta,
    decimal.Decimal,
    uuid.UUID,
)
