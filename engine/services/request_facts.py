"""A request's facts kept in step with its case (SPEC §8), inside the case's unit of work:
the unit's reply, the visit (and what it adds to the unit's day of the three rates), a
reopen to the same or another unit (at most twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.access import SYSTEM
from ..domain.clock.calendar import get_calendar
from ..domain.deadlines import contact_due
from ..domain.requests import MAX_REOPENS, visit_errors
from ..errors import Invalid
from ..store import history, organisation
from ..store.models import Case, Request, RequestStat, Task
from .dispatch import redirect
from .specs import compiled


def request_of(uow, case: Case) -> Request | None:
    if compiled(case.matter).settings.kind != "request":
        return None
    return uow.session.get(Request, case.id)


def check_output(uow, case: Case, task: Task, data: dict) -> None:
    """What the task's form cannot say: a visit reopens only an unresolved or
    unsatisfying request, at most twice, to an active unit (422, nothing written)."""
    settings = compiled(case.matter).settings
    if settings.kind != "request" or task.task != settings.request.visit:
        return
    errors = visit_errors(data)
    if data.get("reopen"):
        request = uow.session.get(Request, case.id)
        if data.get("resolved") is True and data.get("satisfaction") != "unsatisfied":
            errors["reopen"] = ["only an unresolved or unsatisfying request is reopened"]
        elif request is not None and request.reopens >= MAX_REOPENS:
            errors["reopen"] = [f"reopened {request.reopens} times already: at most {MAX_REOPENS}"]
        target = data.get("reopen_to")
        if target is not None and not (
            isinstance(target, str) and organisation.is_active(uow.session, target)
        ):
            errors["reopen_to"] = [f"no active unit {target!r}"]
    if errors:
        raise Invalid("the visit is not valid", errors={f"data/{k}": v for k, v in errors.items()})


def on_completed(uow, case: Case, task: Task, opened: list[Task]) -> None:
    """A task of a request is done: the reply, or the visit (then perhaps a reopen: the
    handle task the process opened again goes to the unit the visit names)."""
    settings = compiled(case.matter).settings
    if settings.kind != "request":
        return
    request = uow.session.get(Request, case.id)
    if request is None:
        return
    data = task.data or {}
    if task.task == settings.request.handle:
        _replied(uow, case, task, request, data)
    elif task.task == settings.request.visit:
        record_visit(uow, request, data, by="center")
        if data.get("reopen"):
            _reopened(uow, case, request, data, opened)


def _replied(uow, case: Case, task: Task, request: Request, data: dict) -> None:
    now = uow.now()
    request.unit, request.replied_at = task.department, now
    request.resolved = bool(data.get("resolved"))
    contacted = data.get("contacted_at")
    request.contacted_at = datetime.fromisoformat(contacted) if isinstance(contacted, str) else now
    received = datetime.fromisoformat(
        (task.dispatch or {}).get("received_at") or task.started_at.isoformat()
    )
    due = contact_due(compiled(case.matter).settings, case.form, received)
    request.contact_late = request.contacted_at > due


def record_visit(uow, request: Request, visit: dict, by: str) -> None:
    """The visit's answers on the request, and on its unit's day of the rates; a request
    visited again (reopened) counts once, with its last visit."""
    now = uow.now()
    case = uow.session.get(Case, request.case_id)
    tz = get_calendar(compiled(case.matter).settings.calendar).tz
    day = now.astimezone(tz).date()
    if request.visit and request.visit.get("counted"):
        previous = request.visit
        _add_stat(
            uow.session,
            datetime.fromisoformat(previous["day"]).date(),
            previous["unit"],
            previous,
            -1,
        )
    answers = {
        "contacted": bool(visit["contacted"]),
        "resolved": bool(visit["resolved"]),
        "satisfaction": visit["satisfaction"],
    }
    unit = request.unit or "unknown"
    _add_stat(uow.session, day, unit, answers, 1)
    request.visited_at = now
    request.visit = {**answers, "by": by, "unit": unit, "day": day.isoformat(), "counted": True}


def _add_stat(session, day, unit: str, answers: dict, sign: int) -> None:
    values = {
        "visited": sign,
        "contacted": sign * answers["contacted"],
        "resolved": sign * answers["resolved"],
        "satisfied": sign * (answers["satisfaction"] == "satisfied"),
        "basically": sign * (answers["satisfaction"] == "basically"),
    }
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RequestStat.__table__
    statement = make(table).values(day=day, unit=unit, **values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.day, table.c.unit],
            set_={k: table.c[k] + statement.excluded[k] for k in values},
        )
    )


def _reopened(uow, case: Case, request: Request, data: dict, opened: list[Task]) -> None:
    """重办: the handle task the process opened again goes to the unit the visit names,
    or to the unit that handled it."""
    request.reopens += 1
    target = data.get("reopen_to") or request.unit
    settings = compiled(case.matter).settings
    for task in opened:
        if task.task == settings.request.handle and target and task.department != target:
            redirect(uow, case, task, target, "reopened")
    history.record(
        uow,
        case,
        "reopened",
        SYSTEM,
        new={"department": target, "reopens": request.reopens, "reason": data.get("reason")},
        public=True,
        text="诉求重办" + (f"：{data['reason']}" if data.get("reason") else ""),
    )


def linked_requests(uow, case_id: int) -> list[Request]:
    return list(uow.session.scalars(select(Request).where(Request.linked_to == case_id)))


def close_linked(uow, case: Case) -> None:
    """The primary request ended: the requests linked to it end with it, with its reply
    (every caller gets the reply; the primary's visit counts for them)."""
    for request in linked_requests(uow, case.id):
        linked = uow.session.get(Case, request.case_id)
        if linked.status == case.status:
            continue
        old = linked.status
        linked.status, linked.completed_at = case.status, uow.now()
        linked.results = dict(case.results)
        history.record(
            uow,
            linked,
            "completed_with_linked",
            SYSTEM,
            old={"status": old},
            new={"status": case.status, "primary": case.case_no},
            public=True,
            text=f"已随关联诉求 {case.case_no} 一并办结",
        )
