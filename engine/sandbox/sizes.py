"""Sizes of values, and the checks that refuse an operation before it allocates.

Why *deep* sizes: `[big] * 1000` is only a thousand references, but
`str()` of it, comparing it or hashing it walks a thousand copies of `big`,
in one C call that no deadline can interrupt. Charging every container the
code builds by everything reachable from it (shared parts counted each time,
as repr and comparison see them) keeps the cost of any single operation on
sandbox-built values within the allocation budget, so the deadline checked
between operations is a real bound.
"""

from __future__ import annotations

import re
from time import monotonic
from typing import Any

from .limits import Limits, SandboxError

CONTAINERS = (list, tuple, set, frozenset, dict)
SIZED = (str, bytes) + CONTAINERS
SEQUENCES = (str, bytes, list, tuple)
_SCALARS = frozenset({int, float, bool, type(None), complex})
_TEXT = frozenset({str, bytes})
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


def deep_size(
    value: Any, limit: int, memo: dict | None = None, deadline: float | None = None
) -> int:
    """Items and characters reachable from `value`; stops counting above `limit`.

    `memo` maps id() to (object, size) for values already measured. Flat runs
    of numbers and strings are measured at C speed, so a list of a million
    numbers costs milliseconds, not a second.
    """
    if type(value) in _SCALARS:
        return 1
    total, stack, popped = 0, [value], 0
    while stack and total <= limit:
        item = stack.pop()
        popped += 1
        if deadline is not None and not popped & 0xFFF and monotonic() > deadline:
            raise SandboxError("took too long measuring a value")
        if type(item) in _SCALARS:
            total += 1
        elif isinstance(item, (str, bytes)):
            total += max(1, len(item))
        elif memo is not None and id(item) in memo:
            total += memo[id(item)][1]
        elif isinstance(item, dict):
            total += 1 + _flat(item.keys(), stack) + _flat(item.values(), stack)
        elif isinstance(item, CONTAINERS):
            total += 1 + _flat(item, stack)
        else:
            total += 1
    return total


def _flat(items, stack: list) -> int:
    """The size of the numbers and strings among `items`; the rest go on `stack`."""
    kinds = set(map(type, items))
    if kinds <= _SCALARS:
        return len(items)
    if kinds <= _TEXT:
        return len(items) + sum(map(len, items))
    size = 0
    for item in items:
        if type(item) in _SCALARS:
            size += 1
        else:
            stack.append(item)
    return size


def refuse_length(limits: Limits, size: int) -> None:
    if size > limits.max_length:
        raise SandboxError(
            f"would build a value of {size} items or characters (the limit is {limits.max_length})"
        )


def refuse_bits(limits: Limits, bits: int) -> None:
    if bits > limits.max_int_bits:
        raise SandboxError(
            f"would build an integer of about {bits} bits (the limit is {limits.max_int_bits})"
        )


def check_formattable(limits: Limits, value: Any) -> Any:
    """`str()`, f-strings and `%` write out everything reachable: bound that first."""
    if isinstance(value, CONTAINERS) and deep_size(value, limits.max_length) > limits.max_length:
        raise SandboxError(f"would turn a value of more than {limits.max_length} items into text")
    return value


# -- binary operations --------------------------------------------------------------


def check_mult(limits: Limits, left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, SEQUENCES) and isinstance(times, int):
            refuse_length(limits, len(seq) * max(0, times))
            return
    if isinstance(left, int) and isinstance(right, int):
        refuse_bits(limits, left.bit_length() + right.bit_length())


def check_pow(limits: Limits, base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        refuse_bits(limits, (abs(base).bit_length() - 1) * exponent)


def check_lshift(limits: Limits, left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and right > 0:
        refuse_bits(limits, left.bit_length() + right)


def check_add(limits: Limits, left: Any, right: Any) -> None:
    if isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        refuse_length(limits, len(left) + len(right))


def check_mod(limits: Limits, left: Any, right: Any) -> None:
    """`'%999999999d' % 1` pads to any width: bound widths, forbid `*`, bound the args."""
    if isinstance(left, bytes):
        left = left.decode("latin-1")
    if not isinstance(left, str):
        return
    for match in _PERCENT_SPEC.finditer(left):
        for part in match.groups():
            if part == "*" or (part and int(part) > limits.max_format_width):
                raise SandboxError(
                    f"uses a %-format width that is computed or above {limits.max_format_width}"
                )
    check_formattable(limits, right)


PRECHECKS = {
    "Mult": check_mult,
    "Pow": check_pow,
    "LShift": check_lshift,
    "Add": check_add,
    "Mod": check_mod,
}
