"""Checking matter.yaml's departments, tasks, materials and acceptance
against the form schema and the BPMN process they refer to."""

from __future__ import annotations

import re
from typing import Any

from engine.sandbox import check_source

from .bpmn import ProcessModel, first_task_in_lane
from .model import Problems, describe
from .sources import MATTER_FILE
from .validate import (
    TASK_KEYS,
    check_duration,
    check_file_ref,
    check_json_schema,
    check_text,
    load_json_schema,
)

DEPARTMENT_KEYS = ("name", "lead", "sees", "dispatch", "dispatcher", "return_within")
DISPATCH_TABLE_KEYS = ("table", "category", "region")
TABLE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
MAX_REF_DEPTH = 32


# -- departments ----------------------------------------------------------------


def check_departments(raw: dict, problems: Problems) -> tuple[dict[str, dict], str | None]:
    """The departments and the id of the one lead department (None if not exactly one)."""
    departments = raw.get("departments")
    if "departments" not in raw:
        return {}, None
    if not isinstance(departments, dict) or not departments:
        problems.add(MATTER_FILE, "departments", "must map each lane id to a department")
        return {}, None
    leads = [
        lane_id
        for lane_id, department in departments.items()
        if _check_department(lane_id, department, problems)
    ]
    if len(leads) != 1:
        found = f" (found {len(leads)}: {', '.join(map(str, leads))})" if leads else ""
        problems.add(
            MATTER_FILE, "departments", f"exactly one department must have 'lead: true'{found}"
        )
    lead = leads[0] if len(leads) == 1 else None
    _check_dispatchers(departments, lead, problems)
    return departments, lead


def _check_dispatchers(departments: dict, lead: str | None, problems: Problems) -> None:
    """A lane dispatched at run time has a dispatcher: a lane of the matter that is a
    unit itself (not dispatched), the lead by default."""
    for lane_id, department in departments.items():
        if not isinstance(department, dict) or "dispatch" not in department:
            if isinstance(department, dict) and "dispatcher" in department:
                problems.add(
                    MATTER_FILE,
                    f"departments.{lane_id}.dispatcher",
                    "only a lane with `dispatch` has a dispatcher",
                )
            continue
        if department.get("lead") is True:
            problems.add(
                MATTER_FILE,
                f"departments.{lane_id}.dispatch",
                "the lead department is a unit, not dispatched at run time",
            )
        dispatcher = department.get("dispatcher", lead)
        target = departments.get(dispatcher) if isinstance(dispatcher, str) else None
        if not isinstance(target, dict) or "dispatch" in target:
            problems.add(
                MATTER_FILE,
                f"departments.{lane_id}.dispatcher",
                f"{dispatcher!r} is not a lane of this matter that is a unit itself "
                "(the dispatcher takes the tasks that cannot be dispatched)",
            )


def _check_department(lane_id: Any, department: Any, problems: Problems) -> bool:
    """Problems of one department; True when it is marked lead."""
    element = f"departments.{lane_id}"
    if not isinstance(department, dict):
        problems.add(
            MATTER_FILE,
            element,
            f"must be a mapping {{name, lead, sees}}, not {describe(department)}",
        )
        return False
    for key in department:
        if key not in DEPARTMENT_KEYS:
            problems.add(
                MATTER_FILE,
                f"{element}.{key}",
                f"unknown key (known: {', '.join(DEPARTMENT_KEYS)})",
            )
    check_text(department.get("name"), f"{element}.name", problems)
    lead = department.get("lead", False)
    if not isinstance(lead, bool):
        problems.add(MATTER_FILE, f"{element}.lead", "must be true or false")
    sees = department.get("sees")
    if sees is not None and not (isinstance(sees, list) and all(isinstance(p, str) for p in sees)):
        problems.add(
            MATTER_FILE, f"{element}.sees", "must be a list of form paths like shop/address"
        )
    if "dispatch" in department:
        _check_dispatch(department["dispatch"], f"{element}.dispatch", problems)
    if "return_within" in department:
        check_duration(department["return_within"], f"{element}.return_within", problems)
    return lead is True


def _check_dispatch(dispatch: Any, element: str, problems: Problems) -> None:
    """`dispatch: EXPR` (the unit's key, from the form and earlier outputs) or
    `dispatch: {table: KEY, category: EXPR, region: EXPR}` (a routing table)."""
    if isinstance(dispatch, str):
        for problem in check_source(dispatch, "eval"):
            problems.add(MATTER_FILE, element, f"expression {problem}")
        return
    if not isinstance(dispatch, dict):
        problems.add(
            MATTER_FILE, element, "an expression giving a unit's key, or {table, category, region}"
        )
        return
    for key in dispatch:
        if key not in DISPATCH_TABLE_KEYS:
            problems.add(
                MATTER_FILE,
                f"{element}.{key}",
                f"unknown key (known: {', '.join(DISPATCH_TABLE_KEYS)})",
            )
    if not (isinstance(dispatch.get("table"), str) and TABLE_KEY.match(dispatch["table"])):
        problems.add(MATTER_FILE, f"{element}.table", "the routing table's key ([a-z0-9_-]+)")
    for key in ("category", "region"):
        expression = dispatch.get(key)
        if expression is None:
            continue
        if not isinstance(expression, str):
            problems.add(MATTER_FILE, f"{element}.{key}", "must be an expression (text)")
            continue
        for problem in check_source(expression, "eval"):
            problems.add(MATTER_FILE, f"{element}.{key}", f"expression {problem}")


def check_sees(departments: dict[str, dict], form: dict, problems: Problems) -> None:
    """Each `sees` path must name a property of the form schema."""
    for lane_id, department in departments.items():
        sees = department.get("sees") if isinstance(department, dict) else None
        if not isinstance(sees, list):
            continue
        for index, path in enumerate(sees):
            if isinstance(path, str) and not _path_exists(form, path):
                problems.add(
                    MATTER_FILE,
                    f"departments.{lane_id}.sees[{index}]",
                    f"'{path}' is not a field of the form",
                )


def _path_exists(schema: dict, path: str) -> bool:
    parts = [p for p in path.strip("/").split("/") if p]
    nodes: list[Any] = [schema]
    for part in parts:
        nodes = [child for node in nodes for child in _properties(schema, node).get(part, [])]
        if not nodes:
            return False
    return bool(parts)


def _properties(root: dict, node: Any, depth: int = 0) -> dict[str, list]:
    """Each property name with every subschema that declares it, following local
    $refs and allOf/anyOf/oneOf/if-then-else branches."""
    found: dict[str, list] = {}
    if not isinstance(node, dict) or depth > MAX_REF_DEPTH:
        return found
    node = _resolve(root, node)
    properties = node.get("properties")
    for name, subschema in properties.items() if isinstance(properties, dict) else ():
        found.setdefault(name, []).append(subschema)
    branches = [b for key in ("allOf", "anyOf", "oneOf") for b in node.get(key) or []]
    branches += [node.get("then"), node.get("else")]
    for branch in branches:
        for name, subschemas in _properties(root, branch, depth + 1).items():
            found.setdefault(name, []).extend(subschemas)
    return found


def _resolve(root: dict, node: dict) -> dict:
    for _ in range(MAX_REF_DEPTH):
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#")):
            return node
        target: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return {}
        node = target
    return node


# -- lanes ----------------------------------------------------------------------


def check_lanes(
    departments: dict, model: ProcessModel, process_file: str, problems: Problems
) -> None:
    for lane_id, name in model.lanes.items():
        if lane_id not in departments:
            problems.add(
                process_file,
                lane_id,
                f"lane {name or lane_id!r} is not a department in matter.yaml "
                "(departments are keyed by lane id)",
            )
    for lane_id in departments:
        if lane_id not in model.lanes:
            problems.add(
                MATTER_FILE,
                f"departments.{lane_id}",
                f"no lane with id '{lane_id}' in process '{model.process_id}'",
            )
    for task_id, lane_id in model.task_lanes.items():
        if lane_id is None:
            problems.add(
                process_file,
                task_id,
                f"user task {model.human_tasks[task_id]!r} is not in any lane",
            )
    names: dict[str, str] = {}
    for lane_id, name in model.lanes.items():
        if name and name in names:
            problems.add(
                process_file,
                lane_id,
                f"lanes '{names[name]}' and '{lane_id}' have the same name {name!r}",
            )
        names.setdefault(name, lane_id)


# -- tasks ----------------------------------------------------------------------


def check_tasks(raw: dict, files, model: ProcessModel | None, problems: Problems) -> dict:
    """Per-task settings; a `form` given as a file name is replaced by its schema."""
    tasks = raw.get("tasks")
    if tasks is None:
        return {}
    if not isinstance(tasks, dict):
        problems.add(MATTER_FILE, "tasks", "must map user task ids to their settings")
        return {}
    resolved = {}
    for task_id, config in tasks.items():
        element = f"tasks.{task_id}"
        if model is not None and task_id not in model.human_tasks:
            problems.add(
                MATTER_FILE,
                element,
                f"'{task_id}' is not a user task of process '{model.process_id}'",
            )
        if not isinstance(config, dict):
            problems.add(MATTER_FILE, element, "must be a mapping {due, warn_before, form}")
            continue
        resolved[task_id] = _check_task(element, config, files, problems)
    return resolved


def _check_task(element: str, config: dict, files, problems: Problems) -> dict:
    result = dict(config)
    for key, value in config.items():
        if key not in TASK_KEYS:
            problems.add(
                MATTER_FILE, f"{element}.{key}", f"unknown key (known: {', '.join(TASK_KEYS)})"
            )
        elif key in ("due", "warn_before"):
            check_duration(value, f"{element}.{key}", problems)
    form = config.get("form")
    if isinstance(form, str):
        name = check_file_ref(form, f"{element}.form", files, problems, (".json",))
        result["form"] = load_json_schema(name, files, problems) if name else None
    elif form is not None:
        check_json_schema(form, MATTER_FILE, f"{element}.form", problems)
    return result


# -- materials, acceptance ------------------------------------------------------


def check_materials(raw: dict, problems: Problems) -> list[dict]:
    materials = raw.get("materials")
    if materials is None:
        return []
    if not isinstance(materials, list):
        problems.add(MATTER_FILE, "materials", "must be a list of {id, title, when}")
        return []
    seen: set[str] = set()
    for index, material in enumerate(materials):
        element = f"materials[{index}]"
        if not isinstance(material, dict):
            problems.add(MATTER_FILE, element, "must be a mapping {id, title, when}")
            continue
        material_id = material.get("id")
        if not (isinstance(material_id, str) and material_id.strip()):
            problems.add(MATTER_FILE, f"{element}.id", "every material needs an id")
        elif material_id in seen:
            problems.add(MATTER_FILE, f"{element}.id", f"material id '{material_id}' is used twice")
        else:
            seen.add(material_id)
        check_text(material.get("title"), f"{element}.title", problems)
        _check_when(material.get("when"), f"{element}.when", problems)
    return [m for m in materials if isinstance(m, dict)]


def _check_when(when: Any, element: str, problems: Problems) -> None:
    if when is None:
        return
    if not isinstance(when, str):
        problems.add(MATTER_FILE, element, "must be an expression (text)")
        return
    for problem in check_source(when, "eval"):
        problems.add(MATTER_FILE, element, f"condition {problem}")


def check_acceptance(
    raw: dict, lead: str | None, model: ProcessModel | None, problems: Problems
) -> str | None:
    """The user task whose completion is 受理 (explicit, or the lead lane's first)."""
    acceptance = raw.get("acceptance")
    if model is None:
        return acceptance if isinstance(acceptance, str) else None
    if acceptance is None:
        return first_task_in_lane(model, lead) if lead else None
    if not isinstance(acceptance, str) or acceptance not in model.human_tasks:
        problems.add(
            MATTER_FILE,
            "acceptance",
            f"{acceptance!r} is not a user task of process '{model.process_id}'",
        )
        return None
    if lead is not None and model.task_lanes.get(acceptance) != lead:
        problems.add(
            MATTER_FILE,
            "acceptance",
            f"'{acceptance}' is not in the lead department's lane '{lead}'",
        )
    return acceptance
