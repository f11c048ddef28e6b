"""Checking a request matter's settings (`kind: request`, `request: {...}`: SPEC §8)."""

from __future__ import annotations

from ..domain.requests import URGENCIES
from .model import Problems, describe
from .sources import MATTER_FILE
from .validate import check_duration

KINDS = ("matter", "request")
REQUEST_KEYS = ("handle", "visit", "clocks")
CLOCKS = ("sign", "contact", "resolve")


def check_kind(raw: dict, problems: Problems) -> str:
    kind = raw.get("kind", "matter")
    if kind not in KINDS:
        problems.add(MATTER_FILE, "kind", f"one of {', '.join(KINDS)}, not {kind!r}")
        return "matter"
    if kind == "request" and "request" not in raw:
        problems.add(
            MATTER_FILE,
            "request",
            "a request matter names its handle and visit tasks: request: {handle, visit}",
        )
    if kind != "request" and "request" in raw:
        problems.add(MATTER_FILE, "request", "only a matter of kind: request has this section")
    return kind


def check_request(raw: dict, human_tasks: dict | None, problems: Problems) -> dict | None:
    """{handle, visit, clocks}: the unit's task, the centre's visit task, the clocks of
    the handle task by urgency (each optional: the defaults of engine.domain.requests)."""
    section = raw.get("request")
    if section is None:
        return None
    if not isinstance(section, dict):
        problems.add(
            MATTER_FILE,
            "request",
            f"must be a mapping {{handle, visit, clocks}}, not {describe(section)}",
        )
        return None
    for key in section:
        if key not in REQUEST_KEYS:
            problems.add(
                MATTER_FILE, f"request.{key}", f"unknown key (known: {', '.join(REQUEST_KEYS)})"
            )
    for key in ("handle", "visit"):
        task = section.get(key)
        if not isinstance(task, str) or (human_tasks is not None and task not in human_tasks):
            problems.add(
                MATTER_FILE, f"request.{key}", f"{task!r} is not a user task of the process"
            )
    clocks = section.get("clocks") or {}
    if not isinstance(clocks, dict):
        problems.add(MATTER_FILE, "request.clocks", "a mapping urgency -> {sign, contact, resolve}")
        clocks = {}
    for urgency, durations in clocks.items():
        where = f"request.clocks.{urgency}"
        if urgency not in URGENCIES:
            problems.add(MATTER_FILE, where, f"one of {', '.join(URGENCIES)}")
            continue
        if not isinstance(durations, dict):
            problems.add(MATTER_FILE, where, "a mapping {sign, contact, resolve}")
            continue
        for name, value in durations.items():
            if name not in CLOCKS:
                problems.add(MATTER_FILE, f"{where}.{name}", f"one of {', '.join(CLOCKS)}")
            else:
                check_duration(value, f"{where}.{name}", problems)
    return section
