"""What a loaded matter package is, and how its problems are reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.matter import MatterSettings


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: which file, which element, what."""

    file: str
    element: str | None
    message: str

    def to_json(self) -> dict:
        return {"file": self.file, "element": self.element, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file}: {self.element}" if self.element else self.file
        return f"{where}: {self.message}"


class PackageInvalid(Exception):
    """The package cannot be deployed; `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} problem(s): "
            + "; ".join(str(p) for p in self.problems[:5])
            + (" ..." if len(self.problems) > 5 else "")
        )


class Problems:
    """Collects problems so validation can go on after the first one."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, element: str | None, message: str) -> None:
        problem = Problem(file, element, message)
        if problem not in self.items:
            self.items.append(problem)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise PackageInvalid(self.items)


@dataclass(frozen=True)
class UserTaskInfo:
    """A task staff work on; `department` is the id of the lane it sits in."""

    id: str
    name: str
    department: str


@dataclass(frozen=True)
class MatterPackage:
    """A validated package: its files, its process, and its settings (typed, defaults
    applied: engine.domain.matter)."""

    key: str
    title: dict
    process_id: str
    files: dict[str, bytes]
    bpmn_files: list[str]
    dmn_files: list[str]
    form_schema: dict
    settings: MatterSettings
    user_tasks: dict[str, UserTaskInfo]
    lane_ids_by_name: dict[str, str]
    raw: dict = field(repr=False)

    @property
    def process_file(self) -> str:
        return self.bpmn_files[0]

    def files_as_text(self) -> dict[str, str]:
        return {name: data.decode("utf-8") for name, data in self.files.items()}


def describe(value: Any) -> str:
    """A short name for a YAML value's type, for messages."""
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "empty",
    }
    return names.get(type(value), type(value).__name__)
