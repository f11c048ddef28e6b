"""A typed view of a matter's settings (matter.yaml), its defaults applied once.

The package loader builds it when it validates a package; everything that
needs a deadline, a task's warning, a department's `sees` or the calendar
reads it here, never the raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from ..sandbox import evaluate
from .requests import DEFAULT_CLOCKS

# how long before a due instant its yellow card comes, unless the matter says
DEFAULT_CASE_WARN: Mapping[str, int] = MappingProxyType({"workdays": 1})
DEFAULT_TASK_WARN: Mapping[str, int] = MappingProxyType({"workhours": 4})
DEFAULT_CALENDAR = "CN"
# how long after a dispatch the unit may still send the task back (退单)
DEFAULT_RETURN_WITHIN: Mapping[str, int] = MappingProxyType({"workhours": 2})


@dataclass(frozen=True)
class DepartmentSettings:
    """A lane of the process: the department that works its tasks."""

    key: str
    name: Mapping[str, str]
    lead: bool = False
    sees: tuple[str, ...] | None = None  # form paths it sees; None: the whole form
    # run-time dispatch (SPEC §7): an expression giving the unit's key, or a routing
    # table {table, category, region}; None: the lane is the unit of its own key
    dispatch: str | Mapping[str, str] | None = None
    dispatcher: str | None = None  # who takes what cannot be dispatched (default: lead)
    return_within: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_RETURN_WITHIN)

    @property
    def dispatched(self) -> bool:
        return self.dispatch is not None


@dataclass(frozen=True)
class TaskSettings:
    """A user task's clock and output form."""

    due: Mapping[str, Any] | None = None
    warn_before: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_TASK_WARN)
    form: Mapping[str, Any] | None = None  # JSON Schema of the department's output


_NO_TASK_SETTINGS = TaskSettings()


@dataclass(frozen=True)
class RequestSettings:
    """A request matter's unit task (its clocks by urgency: sign, contact, resolve) and
    the centre's visit task."""

    handle: str
    visit: str
    clocks: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: DEFAULT_CLOCKS)

    def clock(self, urgency: str, name: str) -> Mapping[str, Any]:
        return (self.clocks.get(urgency) or {}).get(name) or DEFAULT_CLOCKS[urgency][name]


@dataclass(frozen=True)
class MatterSettings:
    key: str
    title: Mapping[str, str]
    calendar: str = DEFAULT_CALENDAR
    promised: Mapping[str, Any] | None = None  # 承诺时限
    statutory: Mapping[str, Any] | None = None  # 法定时限
    warn_before: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_CASE_WARN)
    departments: Mapping[str, DepartmentSettings] = field(default_factory=dict)
    lead_department: str | None = None
    tasks: Mapping[str, TaskSettings] = field(default_factory=dict)
    materials: tuple[Mapping[str, Any], ...] = ()
    acceptance: str | None = None  # the user task whose completion is 受理
    kind: str = "matter"  # matter (一件事), or request (a 12345 诉求, SPEC §8)
    request: RequestSettings | None = None  # a request matter's tasks and clocks

    def task(self, task_id: str) -> TaskSettings:
        """A task's settings (the defaults for a task the matter says nothing of)."""
        return self.tasks.get(task_id, _NO_TASK_SETTINGS)

    def department_name(self, key: str) -> str:
        department = self.departments.get(key)
        return (department.name.get("zh") if department else None) or key

    def materials_for(self, form: dict) -> list[Mapping[str, Any]]:
        """The materials this applicant must provide (一次告知): those without a
        `when`, and those whose `when` holds for the form.

        A `when` that cannot be evaluated (a field the form lacks) keeps its
        material on the list: telling the applicant one thing too many is
        better than a second trip.
        """
        needed = []
        for material in self.materials:
            when = material.get("when")
            try:
                wanted = when is None or bool(evaluate(when, form))
            except Exception:  # noqa: BLE001 - any failure means: ask for it
                wanted = True
            if wanted:
                needed.append(material)
        return needed

    @property
    def deadline(self) -> dict:
        """The case clock as the API shows it (matter.yaml's `deadline`)."""
        shown = {"warn_before": dict(self.warn_before)}
        if self.promised:
            shown["promised"] = dict(self.promised)
        if self.statutory:
            shown["statutory"] = dict(self.statutory)
        return shown


def build_settings(
    *,
    key: str,
    title: dict,
    calendar: str,
    deadline: dict,
    departments: dict,
    lead: str | None,
    tasks: dict,
    materials: list,
    acceptance: str | None,
    kind: str = "matter",
    request: dict | None = None,
) -> MatterSettings:
    """The settings of a validated package (the loader has checked every value)."""
    return MatterSettings(
        key=key,
        title=title,
        calendar=calendar or DEFAULT_CALENDAR,
        promised=deadline.get("promised"),
        statutory=deadline.get("statutory"),
        warn_before=deadline.get("warn_before") or DEFAULT_CASE_WARN,
        departments={
            lane: DepartmentSettings(
                key=lane,
                name=d.get("name") or {"zh": lane},
                lead=d.get("lead") is True,
                sees=tuple(d["sees"]) if isinstance(d.get("sees"), list) else None,
                dispatch=d.get("dispatch"),
                dispatcher=(d.get("dispatcher") or lead) if "dispatch" in d else None,
                return_within=d.get("return_within") or DEFAULT_RETURN_WITHIN,
            )
            for lane, d in departments.items()
            if isinstance(d, dict)
        },
        lead_department=lead,
        tasks={
            task_id: TaskSettings(
                due=config.get("due"),
                warn_before=config.get("warn_before") or DEFAULT_TASK_WARN,
                form=config.get("form") if isinstance(config.get("form"), dict) else None,
            )
            for task_id, config in tasks.items()
        },
        materials=tuple(materials),
        acceptance=acceptance,
        kind=kind,
        request=RequestSettings(
            request["handle"], request["visit"], request.get("clocks") or DEFAULT_CLOCKS
        )
        if request
        else None,
    )
