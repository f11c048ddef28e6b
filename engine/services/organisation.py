"""The organisation as services (SPEC §7): the unit tree, routing tables, an operator's file.

Each public function owns its unit of work. Changes are an admin's; the tree and
its names are public (the pages show them); routing tables are read by staff.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from ..domain.organisation import is_below, row_errors, unit_errors
from ..errors import Conflict, Invalid, NotFound
from ..store import organisation
from ..store.models import Department
from .accounts import authenticate, staff_unit
from .dispatch import resolve as resolve_row

MAX_FILE_UNITS = 100_000
MAX_TABLE_ROWS = 500_000


def unit_view(row: Department) -> dict:
    return {
        "key": row.key,
        "name": dict(row.name or {}),
        "kind": row.kind,
        "parent": row.parent,
        "region_code": row.region_code,
        "active": row.active,
        "path": [key for key in row.path.split("/") if key],
    }


def units(
    rt,
    parent: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    under: str | None = None,
) -> list[dict]:
    """Units by parent, kind, region-code prefix, or the subtree of `under`."""
    with rt.uow() as uow:
        root_path = None
        if under is not None:
            row = organisation.unit(uow.session, under)
            if row is None:
                raise NotFound(f"no unit {under!r}")
            root_path = row.path
        return [
            unit_view(u) for u in organisation.units(uow.session, parent, kind, region, root_path)
        ]


def unit(rt, key: str) -> dict:
    with rt.uow() as uow:
        row = organisation.unit(uow.session, key)
        if row is None:
            raise NotFound(f"no unit {key!r}")
        return unit_view(row)


def add_unit(rt, token: str, fields: dict) -> dict:
    """A new unit under `parent` (admins)."""
    with staff_unit(rt, token) as (uow, actor):
        actor.require_role("admin")
        row = _add(uow.session, fields)
        uow.commit()
        return unit_view(row)


def _add(session, fields: dict) -> Department:
    errors = unit_errors(fields, new=True)
    unknown = set(fields) - {"key", "name", "kind", "parent", "region_code", "active"}
    if unknown:
        errors["body"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    parent = None
    if fields.get("parent") is not None:
        parent = organisation.unit(session, str(fields["parent"]))
        if parent is None:
            errors["parent"] = [f"no unit {fields['parent']!r}"]
    if errors:
        raise Invalid("the unit is not valid", errors=errors)
    if organisation.unit(session, fields["key"]) is not None:
        raise Conflict(f"unit {fields['key']} exists")
    row = organisation.add(
        session,
        fields["key"],
        dict(fields["name"]),
        fields.get("kind", "department"),
        parent,
        fields.get("region_code"),
        fields.get("active", True),
    )
    session.flush()
    return row


def change_unit(rt, token: str, key: str, fields: dict) -> dict:
    """Rename, move (`parent`, null: to the root), re-code, (de)activate (admins)."""
    with staff_unit(rt, token) as (uow, actor):
        actor.require_role("admin")
        row = organisation.unit(uow.session, key)
        if row is None:
            raise NotFound(f"no unit {key!r}")
        _change(uow.session, row, fields)
        uow.commit()
        return unit_view(organisation.unit(uow.session, key))


def _change(session, row: Department, fields: dict) -> None:
    errors = unit_errors(fields, new=False)
    unknown = set(fields) - {"name", "kind", "parent", "region_code", "active"}
    if unknown:
        errors["body"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    parent, moving = None, "parent" in fields and fields["parent"] != row.parent
    if moving and fields["parent"] is not None:
        parent = organisation.unit(session, str(fields["parent"]))
        if parent is None:
            errors["parent"] = [f"no unit {fields['parent']!r}"]
        elif parent.key == row.key or is_below(parent.path, row.path):
            errors["parent"] = [
                f"{parent.key} is {row.key} or below it: the tree would have a cycle"
            ]
    if errors:
        raise Invalid("the change is not valid", errors=errors)
    for name in ("name", "kind", "region_code", "active"):
        if name in fields:
            setattr(row, name, dict(fields[name]) if name == "name" else fields[name])
    session.flush()
    if moving:
        organisation.move(session, row, parent)


# -- routing tables --------------------------------------------------------------------


def put_table(rt, token: str, table: str, rows) -> dict:
    """A routing table's rows, all at once (admins): every row's unit must exist."""
    with staff_unit(rt, token) as (uow, actor):
        actor.require_role("admin")
        count = _put_table(uow.session, table, rows)
        uow.commit()
        return {"table": table, "rows": count}


def _put_table(session, table: str, rows) -> int:
    errors = row_errors(rows)
    if isinstance(rows, list) and len(rows) > MAX_TABLE_ROWS:
        errors["rows"] = [f"at most {MAX_TABLE_ROWS} rows"]
    if not errors:
        known = {u.key for u in organisation.units(session)}
        for i, row in enumerate(rows):
            if row["department"] not in known:
                errors[f"rows/{i}/department"] = [f"no unit {row['department']!r}"]
    if errors:
        raise Invalid(f"the routing table has {len(errors)} problem(s)", errors=errors)
    organisation.replace_table(session, table, rows)
    return len(rows)


def table(rt, token: str, table_key: str) -> list[dict]:
    with staff_unit(rt, token) as (uow, _actor):
        return [r._asdict() for r in organisation.table_rows(uow.session, table_key)]


def resolve(rt, token: str, table_key: str, category: str, region: str) -> dict:
    """The unit a request of `category` in `region` goes to, and the row that says so."""
    errors = {}
    if not category:
        errors["category"] = ["is required (a code, or * for any)"]
    if not region:
        errors["region"] = ["is required (a region code, or * for any)"]
    if errors:
        raise Invalid("category and region are required", errors=errors)
    with staff_unit(rt, token) as (uow, _actor):
        row = resolve_row(uow, table_key, category, region)
        if row is None:
            if not organisation.table_exists(uow.session, table_key):
                raise NotFound(f"no routing table {table_key!r}")
            return {"department": None, "row": None}
        return {"department": row.department, "row": row._asdict()}


# -- an operator's organisation file -----------------------------------------------------


def read_file(path: Path) -> dict:
    """An organisation from YAML (`units: [...]`, `routing: {table: [rows]}`) or CSV
    (a unit a line: key, name, kind, parent, region_code[, active])."""
    text = path.read_text("utf-8")
    if path.suffix.lower() == ".csv":
        lines = list(csv.DictReader(io.StringIO(text)))
        return {
            "units": [
                {
                    "key": r["key"],
                    "name": {"zh": r["name"]},
                    "kind": r.get("kind") or "department",
                    "parent": r.get("parent") or None,
                    "region_code": r.get("region_code") or None,
                    "active": (r.get("active") or "true").lower() != "false",
                }
                for r in lines
            ]
        }
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise Invalid(
            "an organisation file is a mapping {units, routing}",
            errors={str(path): ["not a mapping"]},
        )
    return data


def load(rt, data: dict, token: str | None = None) -> dict:
    """Add or update the file's units (parents before children) and replace its routing
    tables, in one transaction: all of it, or nothing and every problem named."""
    with rt.uow() as uow:
        if token is not None:
            authenticate(uow, token).require_role("admin")
        counts = _load(uow.session, data)
        uow.commit()
        return counts


def _load(session, data: dict) -> dict:
    listed = data.get("units") or []
    if not isinstance(listed, list) or len(listed) > MAX_FILE_UNITS:
        raise Invalid(
            "units must be a list", errors={"units": [f"a list of at most {MAX_FILE_UNITS} units"]}
        )
    added = changed = 0
    for i, fields in enumerate(listed):
        if not isinstance(fields, dict):
            raise Invalid("a unit is a mapping", errors={f"units/{i}": ["not a mapping"]})
        row = organisation.unit(session, str(fields.get("key")))
        try:
            if row is None:
                _add(session, fields)
                added += 1
            else:
                _change(session, row, {k: v for k, v in fields.items() if k != "key"})
                changed += 1
        except (Invalid, Conflict) as exc:
            raise Invalid(
                f"units/{i} ({fields.get('key')}): {exc.detail}",
                errors={f"units/{i}/{k}": v for k, v in (exc.errors or {}).items()},
            ) from None
    tables = data.get("routing") or {}
    for table_key, rows in tables.items() if isinstance(tables, dict) else ():
        _put_table(session, str(table_key), rows)
    return {"added": added, "changed": changed, "tables": len(tables)}


def is_empty(rt) -> bool:
    """Whether the organisation has no unit below the root yet (a first start)."""
    with rt.uow() as uow:
        return not any(u.parent for u in organisation.units(uow.session))
