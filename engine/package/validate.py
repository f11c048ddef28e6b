"""Checking matter.yaml and the non-BPMN files it names.

Every check adds to a `Problems` collector and goes on, so an analyst sees
everything wrong with a package in one answer. Elements of matter.yaml are
named by their path in it (`departments.fire.sees[1]`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.domain.clock.calendar import calendar_names
from engine.domain.clock.durations import Duration

from .model import Problems, describe
from .sources import MATTER_FILE, package_name

REQUIRED_KEYS = ("key", "title", "process", "form", "departments")
OPTIONAL_KEYS = (
    "decisions",
    "calendar",
    "deadline",
    "tasks",
    "materials",
    "acceptance",
    "description",
    "kind",
    "request",
)
DEADLINE_KEYS = ("promised", "statutory", "warn_before")
TASK_KEYS = ("due", "warn_before", "form")
KEY_PATTERN = re.compile(r"[a-z0-9-]+")
MAX_YAML_NODES = 100_000


# Where known calendar names come from; a deployment can append its own source.
CALENDAR_SOURCES: list[Callable[[], Iterable[str]]] = [lambda: ("CN",), calendar_names]


def known_calendars() -> set[str]:
    return {name.upper() for source in CALENDAR_SOURCES for name in source()}


# -- matter.yaml ----------------------------------------------------------------


def load_yaml(data: bytes) -> Any:
    return yaml.safe_load(data.decode("utf-8"))


def referenced_files(data: bytes) -> list[str]:
    """The file names a matter.yaml mentions (tolerant: used before validation)."""
    try:
        raw = load_yaml(data)
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    if not isinstance(raw, dict):
        return []
    process, tasks = _mapping(raw.get("process")), _mapping(raw.get("tasks"))
    decisions = raw.get("decisions") if isinstance(raw.get("decisions"), list) else []
    names = [process.get("file"), raw.get("form"), *decisions]
    names += [_mapping(task).get("form") for task in tasks.values()]
    return [n for n in names if isinstance(n, str)]


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def parse_matter(files: dict[str, bytes], problems: Problems) -> dict | None:
    data = files.get(MATTER_FILE)
    if data is None:
        problems.add(MATTER_FILE, None, "the package has no matter.yaml")
        return None
    try:
        raw = load_yaml(data)
    except UnicodeDecodeError:
        problems.add(MATTER_FILE, None, "is not UTF-8 text")
        return None
    except yaml.YAMLError as exc:
        problems.add(MATTER_FILE, None, f"is not valid YAML: {_yaml_error(exc)}")
        return None
    if not isinstance(raw, dict):
        problems.add(MATTER_FILE, None, f"must be a mapping of keys, not {describe(raw)}")
        return None
    if _node_count(raw) > MAX_YAML_NODES:
        problems.add(
            MATTER_FILE,
            None,
            f"expands to more than {MAX_YAML_NODES} values (aliases repeated too often?)",
        )
        return None
    return raw


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} (line {mark.line + 1})" if mark else problem


def _node_count(value: Any) -> int:
    """Values after expanding aliases, stopping early once over the limit."""
    count, stack = 0, [value]
    while stack and count <= MAX_YAML_NODES:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def check_text_files(files: dict[str, bytes], problems: Problems) -> None:
    """A package is stored as text, so every file in it must be UTF-8."""
    for name, data in files.items():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            problems.add(
                name,
                None,
                "is not UTF-8 text; a package holds only text files (matter.yaml, BPMN, DMN, JSON)",
            )


def check_keys(raw: dict, problems: Problems) -> None:
    for key in REQUIRED_KEYS:
        if key not in raw:
            problems.add(MATTER_FILE, key, f"required key '{key}' is missing")
    for key in raw:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            problems.add(
                MATTER_FILE,
                str(key),
                f"unknown key '{key}' (known keys: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)})",
            )


def check_key(raw: dict, problems: Problems) -> str:
    key = raw.get("key")
    if "key" in raw and not (isinstance(key, str) and KEY_PATTERN.fullmatch(key)):
        problems.add(MATTER_FILE, "key", f"must match [a-z0-9-]+, not {key!r}")
    return key if isinstance(key, str) else ""


def check_text(value: Any, element: str, problems: Problems, required: bool = True) -> dict:
    """A translated text such as {zh: 开办餐饮店, en: Open a restaurant}; zh is required."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        problems.add(
            MATTER_FILE,
            element,
            f"must be a mapping of languages like {{zh: ...}}, not {describe(value)}",
        )
        return {}
    if not (isinstance(value.get("zh"), str) and value["zh"].strip()):
        problems.add(MATTER_FILE, element, "needs a Chinese text under 'zh'")
    for language, text in value.items():
        if not isinstance(text, str):
            hint = " (in {...}, quote a text that contains a comma)" if text is None else ""
            problems.add(MATTER_FILE, f"{element}.{language}", f"must be text{hint}")
    return value


def check_file_ref(
    value: Any, element: str, files: dict[str, bytes], problems: Problems, suffixes: tuple[str, ...]
) -> str | None:
    """The package name of a referenced file, when it is present."""
    if not isinstance(value, str) or not value.strip():
        problems.add(MATTER_FILE, element, f"must name a file, not {describe(value)}")
        return None
    name = package_name(value.strip())
    if name is None:
        problems.add(MATTER_FILE, element, f"file name {value!r} must be relative, without '..'")
        return None
    if not name.lower().endswith(suffixes):
        problems.add(MATTER_FILE, element, f"{value!r} should end with {' or '.join(suffixes)}")
    if name not in files:
        problems.add(MATTER_FILE, element, f"file {value!r} is not in the package")
        return None
    return name


def check_process_ref(raw: dict, files, problems: Problems) -> tuple[str | None, str | None]:
    process = raw.get("process")
    if "process" not in raw:
        return None, None
    if not isinstance(process, dict):
        problems.add(MATTER_FILE, "process", "must be a mapping {file: ..., id: ...}")
        return None, None
    process_id = process.get("id")
    if not (isinstance(process_id, str) and process_id.strip()):
        problems.add(MATTER_FILE, "process.id", "must name the BPMN process id")
        process_id = None
    name = check_file_ref(process.get("file"), "process.file", files, problems, (".bpmn", ".xml"))
    return name, process_id


def check_decisions(raw: dict, files, problems: Problems) -> list[str]:
    decisions = raw.get("decisions")
    if decisions is None:
        return []
    if not isinstance(decisions, list):
        problems.add(MATTER_FILE, "decisions", "must be a list of DMN file names")
        return []
    names = [
        check_file_ref(value, f"decisions[{i}]", files, problems, (".dmn", ".xml"))
        for i, value in enumerate(decisions)
    ]
    return list(dict.fromkeys(n for n in names if n))


# -- JSON schemas ---------------------------------------------------------------


def load_json_schema(
    name: str, files, problems: Problems, element: str | None = None
) -> dict | None:
    try:
        schema = json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        problems.add(name, element, f"is not valid JSON: {exc}")
        return None
    return check_json_schema(schema, name, element, problems)


def check_json_schema(
    schema: Any, file: str, element: str | None, problems: Problems
) -> dict | None:
    """The schema if it is an object (even an invalid one, so that `sees` paths
    can still be checked against it; the problem is recorded either way)."""
    if not isinstance(schema, dict):
        problems.add(file, element, f"a JSON Schema must be an object, not {describe(schema)}")
        return None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the root"
        problems.add(
            file, element, f"is not a valid JSON Schema (2020-12) at {where}: {exc.message}"
        )
    return schema


def load_form(raw: dict, files, problems: Problems) -> dict | None:
    if "form" not in raw:
        return None
    name = check_file_ref(raw.get("form"), "form", files, problems, (".json",))
    return load_json_schema(name, files, problems) if name else None


# -- calendar, durations --------------------------------------------------------


def check_calendar(raw: dict, problems: Problems) -> str:
    calendar = raw.get("calendar", "CN")
    known = known_calendars()
    if not (isinstance(calendar, str) and calendar.strip().upper() in known):
        problems.add(
            MATTER_FILE,
            "calendar",
            f"unknown calendar {calendar!r} (known: {', '.join(sorted(known))})",
        )
        return "CN"
    return calendar.strip().upper()


def check_duration(value: Any, element: str, problems: Problems) -> None:
    """The clock's own parser decides, so what deploys is what the clock can count."""
    try:
        Duration.parse(value)
    except (ValueError, TypeError) as exc:
        problems.add(MATTER_FILE, element, f"is not a valid duration: {exc}")


def check_deadline(raw: dict, problems: Problems) -> dict:
    deadline = raw.get("deadline")
    if deadline is None:
        return {}
    if not isinstance(deadline, dict):
        problems.add(
            MATTER_FILE, "deadline", "must be a mapping {promised, statutory, warn_before}"
        )
        return {}
    for key, value in deadline.items():
        if key not in DEADLINE_KEYS:
            problems.add(
                MATTER_FILE, f"deadline.{key}", f"unknown key (known: {', '.join(DEADLINE_KEYS)})"
            )
        else:
            check_duration(value, f"deadline.{key}", problems)
    return deadline
