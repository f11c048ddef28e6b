"""Department staff's services: the worklist, what they do to tasks and cases, the case view.

Each function owns its unit of work: it authenticates the bearer token in
it, runs the operation (engine.services.handling), commits, and hands back
plain data.
"""

from __future__ import annotations

from . import case_views, handling
from .accounts import staff_unit
from .views import status_view, task_view


def worklist(
    rt,
    token: str,
    department: str | None = None,
    state: str | None = None,
    warning: str | None = None,
    **filters,
) -> list[dict]:
    """The caller's units' open tasks (or those in `state`), soonest due first; `filters`:
    kind, disputed, returned (engine.services.handling.worklist)."""
    with staff_unit(rt, token) as (uow, actor):
        return [
            task_view(t)
            for t in handling.worklist(uow, actor, department, state, warning, **filters)
        ]


def _on_task(rt, token: str, action, view, *args):
    with staff_unit(rt, token) as (uow, actor):
        result = action(uow, actor, *args)
        uow.commit()
        return view(result)


def claim(rt, token: str, task_id: int) -> dict:
    return _on_task(rt, token, handling.claim, task_view, task_id)


def unclaim(rt, token: str, task_id: int) -> dict:
    return _on_task(rt, token, handling.unclaim, task_view, task_id)


def complete(rt, token: str, task_id: int, data) -> dict:
    return _on_task(rt, token, handling.complete, task_view, task_id, data)


def request_supplement(rt, token: str, task_id: int, reason: str, missing: list) -> dict:
    return _on_task(rt, token, handling.request_supplement, status_view, task_id, reason, missing)


def refuse(rt, token: str, task_id: int, reason: str) -> dict:
    return _on_task(rt, token, handling.refuse, status_view, task_id, reason)


def suspend(rt, token: str, task_id: int, kind: str, reason: str) -> dict:
    return _on_task(rt, token, handling.suspend, status_view, task_id, kind, reason)


def resume(rt, token: str, task_id: int) -> dict:
    return _on_task(rt, token, handling.resume, status_view, task_id)


def extend(rt, token: str, case_no: str, workdays, reason: str) -> dict:
    return _on_task(rt, token, handling.extend, status_view, case_no, workdays, reason)


def staff_case(rt, token: str, case_no: str) -> dict:
    """The case as the caller's departments may see it, with its history."""
    with staff_unit(rt, token) as (uow, actor):
        return case_views.staff_view(uow, actor, case_no)


def diagram(rt, token: str, case_no: str) -> dict:
    with staff_unit(rt, token) as (uow, actor):
        return case_views.diagram(uow, actor, case_no)


def return_task(rt, token: str, task_id: int, reason: str) -> dict:
    """退单: back to the dispatcher, within the return window."""
    return _on_task(rt, token, handling.return_task, task_view, task_id, reason)


def dispatch(
    rt, token: str, task_id: int, department: str, reason: str, restart_clock: bool = False
) -> dict:
    """派单 by the dispatcher (a dispute: by its supervisors)."""
    return _on_task(
        rt, token, handling.dispatch_task, task_view, task_id, department, reason, restart_clock
    )


def summon(rt, token: str, task_id: int, departments, reason: str, due) -> list[dict]:
    """吹哨报到: an assist task in each summoned unit."""
    return _on_task(
        rt,
        token,
        handling.summon,
        lambda made: [task_view(t) for t in made],
        task_id,
        departments,
        reason,
        due,
    )
