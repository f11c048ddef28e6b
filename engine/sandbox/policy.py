"""Which attributes of which value types sandboxed code may use.

An allow-list per type, not a deny-list: a new Python release or an
unexpected value type (a function, a type, a generator and its frame) then
exposes nothing. Each allowed name maps to how its result is guarded:

- `None`: returned as is (reads, predicates, methods returning elements);
- `COPY`: builds a new value, counted against the allocation budget;
- `GROW`: grows the object in place; its new size is checked;
- `JOIN`: `str.join`, whose size is known only after reading its argument;
- a function `(obj, *args) -> int`: predicts the result's size so it can be
  refused before it is allocated (`'a'.ljust(10**10)`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

COPY = "copy"
GROW = "grow"
JOIN = "join"


def _width(obj, width, *_args) -> int:
    return max(len(obj), int(width))


def _replace(obj, old, new, count=-1) -> int:
    hits = obj.count(old) if old else len(obj) + 1
    if count >= 0:
        hits = min(hits, count)
    return len(obj) + hits * max(0, len(new) - len(old))


_STR_READS = (
    "count",
    "endswith",
    "find",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "rfind",
    "rindex",
    "startswith",
)
_STR_COPIES = (
    "capitalize",
    "casefold",
    "lower",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "strip",
    "swapcase",
    "title",
    "upper",
)
_SET_READS = ("isdisjoint", "issubset", "issuperset")
_SET_COPIES = ("copy", "difference", "intersection", "symmetric_difference", "union")
_SET_MUTATIONS = {
    "add": GROW,
    "update": GROW,
    "difference_update": None,
    "intersection_update": None,
    "symmetric_difference_update": GROW,
    "discard": None,
    "remove": None,
    "pop": None,
    "clear": None,
}
_NUMBER = {
    name: None
    for name in (
        "real",
        "imag",
        "numerator",
        "denominator",
        "is_integer",
        "bit_length",
        "bit_count",
        "conjugate",
        "as_integer_ratio",
    )
}
_DATE = ("year", "month", "day", "weekday", "isoweekday", "isocalendar", "toordinal", "replace")
_TIME = ("hour", "minute", "second", "microsecond", "utcoffset", "replace")


def _names(names, kind=None) -> dict[str, Any]:
    return {name: kind for name in names}


POLICY: dict[type, dict[str, Any]] = {
    str: {
        **_names(_STR_READS),
        **_names(_STR_COPIES, COPY),
        "join": JOIN,
        "replace": _replace,
        "ljust": _width,
        "rjust": _width,
        "center": _width,
        "zfill": _width,
    },
    list: {
        "count": None,
        "index": None,
        "copy": COPY,
        "append": GROW,
        "extend": GROW,
        "insert": GROW,
        "pop": None,
        "remove": None,
        "reverse": None,
        "sort": None,
        "clear": None,
    },
    tuple: {"count": None, "index": None},
    dict: {
        "get": None,
        "keys": None,
        "values": None,
        "items": None,
        "copy": COPY,
        "pop": None,
        "popitem": None,
        "setdefault": GROW,
        "update": GROW,
        "clear": None,
    },
    set: {**_names(_SET_READS), **_names(_SET_COPIES, COPY), **_SET_MUTATIONS},
    frozenset: {**_names(_SET_READS), **_names(_SET_COPIES, COPY)},
    bool: _NUMBER,
    int: _NUMBER,
    float: _NUMBER,
    dt.date: {**_names(_DATE), "isoformat": COPY, "strftime": COPY},
    dt.datetime: {
        **_names(_DATE + _TIME + ("date", "time", "timestamp", "astimezone")),
        "isoformat": COPY,
        "strftime": COPY,
    },
    dt.time: {**_names(_TIME), "isoformat": COPY, "strftime": COPY},
    dt.timedelta: _names(("days", "seconds", "microseconds", "total_seconds")),
}

_resolved: dict[type, dict[str, Any] | None] = {}


def policy_for(kind: type) -> dict[str, Any] | None:
    """The allowed names for values of `kind` (subclasses inherit their base's)."""
    try:
        return _resolved[kind]
    except KeyError:
        found = next((POLICY[base] for base in kind.__mro__ if base in POLICY), None)
        _resolved[kind] = found
        return found
