"""The organisation (组织机构, SPEC §7): units in one tree, and routing tables (派单目录).

Pure rules: what a unit's fields may be, where a move would make a cycle,
which routing row is the most specific for a request.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

KINDS = ("government", "department", "street", "community", "grid", "center")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
# GB/T 2260 (6 digits), optionally extended with a 3-digit street code and a 3-digit
# community code
REGION = re.compile(r"^\d{6}(\d{3}){0,2}$")
CODE = re.compile(r"^[A-Za-z0-9._-]{1,50}$")  # a category code, or a code prefix
ANY = "*"


def path_of(parent_path: str | None, key: str) -> str:
    """A unit's path: its ancestors' keys and its own, `/city/district/unit/`."""
    return f"{parent_path or '/'}{key}/"


def is_below(path: str, ancestor_path: str) -> bool:
    return path.startswith(ancestor_path) and path != ancestor_path


def unit_errors(fields: dict, *, new: bool) -> dict[str, list[str]]:
    """Every problem of a unit's fields (a new unit, or a change to one)."""
    errors: dict[str, list[str]] = {}
    if new and not KEY.match(str(fields.get("key") or "")):
        errors["key"] = [
            "1-100 lower-case letters, digits, '-' or '_', starting with a letter or digit"
        ]
    if "name" in fields or new:
        name = fields.get("name")
        if not (
            isinstance(name, dict)
            and isinstance(name.get("zh"), str)
            and name["zh"].strip()
            and len(name["zh"]) <= 200
            and all(isinstance(v, str) and len(v) <= 200 for v in name.values())
        ):
            errors["name"] = ["a name {zh, en?}: zh is required, each at most 200 characters"]
    if "kind" in fields or new:
        if fields.get("kind", "department") not in KINDS:
            errors["kind"] = [f"one of {', '.join(KINDS)}"]
    region = fields.get("region_code")
    if region is not None and not (isinstance(region, str) and REGION.match(region)):
        errors["region_code"] = [
            "a GB/T 2260 code of 6 digits, optionally followed by a "
            "3-digit street code (and a 3-digit community code)"
        ]
    if "active" in fields and not isinstance(fields["active"], bool):
        errors["active"] = ["true or false"]
    return errors


class Row(NamedTuple):
    category: str
    region: str
    department: str


def row_errors(rows) -> dict[str, list[str]]:
    """Every problem of a routing table's rows."""
    if not isinstance(rows, list):
        return {"rows": ["a list of {category, region, department}"]}
    errors: dict[str, list[str]] = {}
    seen: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        where = f"rows/{i}"
        if not isinstance(row, dict):
            errors[where] = ["must be an object {category, region, department}"]
            continue
        category, region = row.get("category"), row.get("region")
        if not (category == ANY or isinstance(category, str) and CODE.match(category)):
            errors[f"{where}/category"] = ["a category code or code prefix, or *"]
        if not (region == ANY or isinstance(region, str) and re.fullmatch(r"\d{1,12}", region)):
            errors[f"{where}/region"] = ["a region code or code prefix (digits), or *"]
        if not (isinstance(row.get("department"), str) and row["department"]):
            errors[f"{where}/department"] = ["a unit's key"]
        unknown = set(row) - {"category", "region", "department"}
        if unknown:
            errors[where] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
        key = (category, region)
        if key in seen and isinstance(category, str) and isinstance(region, str):
            errors[where] = [f"the same category and region as rows/{seen[key]}"]
        seen.setdefault(key, i)
    return errors


def prefixes(code: str) -> list[str]:
    """`code` and every prefix of it, longest first, then `*`: the rows that may match."""
    return [code[:n] for n in range(len(code), 0, -1)] + [ANY]


def specificity(row: Row) -> tuple[int, int]:
    """Longest region prefix first, then the longest category."""
    return (
        0 if row.region == ANY else len(row.region),
        0 if row.category == ANY else len(row.category),
    )


def most_specific(rows: Iterable[Row], category: str, region: str) -> Row | None:
    """The row for a request of `category` in `region`: among the rows whose category
    and region are prefixes of the request's (or `*`), the most specific."""
    matching = [
        r
        for r in rows
        if (r.region == ANY or region.startswith(r.region))
        and (r.category == ANY or category.startswith(r.category))
    ]
    return max(matching, key=specificity, default=None)
