"""The staff view of a case: only the fields the caller's departments see."""

from __future__ import annotations

from sqlalchemy import select

from ..domain.access import Actor
from ..domain.deadlines import on_time
from ..domain.forms import pick_paths
from ..domain.statuses import OPEN, TaskState
from ..domain.visibility import visible_paths
from ..errors import NotFound
from ..store import history
from ..store.models import Case, Event
from .flow import find_case
from .specs import compiled


def _visible_case(uow, actor: Actor, case_no: str) -> Case:
    case = find_case(uow, case_no)
    involved = {t.department for t in case.tasks} | set(compiled(case.matter).settings.departments)
    if not (
        actor.is_admin
        or "analyst" in actor.roles
        or any(actor.in_department(key) for key in involved)
    ):
        raise NotFound(f"no case {case_no}")
    return case


def staff_view(uow, actor: Actor, case_no: str) -> dict:
    case = _visible_case(uow, actor, case_no)
    paths = visible_paths(compiled(case.matter).settings, actor, case.tasks)
    history.write_pending(uow)  # this unit's own entries too
    events = uow.session.scalars(
        select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)
    )
    return {
        "case_no": case.case_no,
        "status": case.status,
        "matter": {
            "key": case.matter.key,
            "version": case.matter.version,
            "title": case.matter.title,
        },
        "applicant": case.applicant,
        "form": pick_paths(case.form, paths),
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "due_at": case.due_at,
        "statutory_due_at": case.statutory_due_at,
        "completed_at": case.completed_at,
        "warning": case.warning,
        "on_time": on_time(case, uow.now()),
        "missing_materials": case.missing_materials,
        "tasks": [
            {
                "id": t.id,
                "task": t.task,
                "name": t.name,
                "department": t.department,
                "state": t.state,
                "assignee": t.assignee,
                "started_at": t.started_at,
                "completed_at": t.completed_at,
                "due_at": t.due_at,
                "warning": t.warning,
                "data": t.data if actor.in_department(t.department) else None,
                "lane": t.lane or t.department,
                "kind": t.kind,
                "parent_id": t.parent_id,
                "returns": (t.dispatch or {}).get("returns", 0),
                "disputed": bool((t.dispatch or {}).get("disputed")),
                "dispatcher": (t.dispatch or {}).get("dispatcher"),
            }
            for t in case.tasks
        ],
        "history": [_event_view(e, actor, case, paths) for e in events],
    }


def _event_view(event: Event, actor: Actor, case: Case, paths: list[str] | None) -> dict:
    """The history hides what the case view hides: other departments' task outputs
    and form fields outside what the actor's departments see."""
    task_department = None
    if event.task_id is not None:
        task_department = next((t.department for t in case.tasks if t.id == event.task_id), None)
    hide_data = task_department is not None and not actor.in_department(task_department)
    return {
        "at": event.at,
        "actor": event.actor,
        "kind": event.kind,
        "task_id": event.task_id,
        "old": _filtered(event.old, hide_data, paths),
        "new": _filtered(event.new, hide_data, paths),
        "text": event.text,
        "public": event.public,
    }


def _filtered(change: dict | None, hide_data: bool, paths: list[str] | None) -> dict | None:
    if not change:
        return change
    change = dict(change)
    if hide_data:
        change.pop("data", None)
    if isinstance(change.get("form"), dict):
        change["form"] = pick_paths(change["form"], paths)
    return change


def diagram(uow, actor: Actor, case_no: str) -> dict:
    case = _visible_case(uow, actor, case_no)
    process_file = compiled(case.matter).package.process_file
    return {
        "bpmn_xml": case.matter.files[process_file],
        "active": sorted({t.task for t in case.tasks if t.state in OPEN}),
        "completed": sorted({t.task for t in case.tasks if t.state == TaskState.COMPLETED}),
    }
