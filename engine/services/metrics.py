"""Service metrics (电子监察 + 好差评) per matter and per department, aggregated in SQL.

Over cases submitted in [start, end): counts by status, on-time rate (ended,
accepted cases finished by their promised limit), mean working time (office
hours from acceptance to completion, stored on the case when it completes),
cases and tasks on yellow / red now and ever, ratings (mean, share of 4-5).
Nothing here loads cases: every figure is one grouped query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy import case as when

from ..domain.access import Actor
from ..domain.statuses import ENDED, OPEN, Card, CaseStatus, TaskState
from ..store.models import Case, Event, Matter, Rating, Task
from .accounts import staff_unit


def metrics(
    uow,
    actor: Actor,
    matter: str | None = None,
    department: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict:
    """Figures for the whole, per matter and per department (departments the actor may see)."""
    where = _case_filter(matter, department, start, end)
    per_matter = _case_figures(uow, where, by_matter=True)
    visible = (
        None
        if (actor.is_admin or {"analyst", "supervisor"} & set(actor.roles))
        else sorted(actor.departments)
    )
    return {
        "total": _case_figures(uow, where).get(None) or _empty(),
        "matters": per_matter,
        "departments": _task_figures(uow, where, department, visible),
        "period": {"from": start, "to": end},
    }


def _case_filter(matter, department, start, end) -> list:
    where = []
    if matter:
        where.append(Case.matter_id.in_(select(Matter.id).where(Matter.key == matter)))
    if department:
        where.append(Case.id.in_(select(Task.case_id).where(Task.department == department)))
    if start:
        where.append(Case.submitted_at >= start)
    if end:
        where.append(Case.submitted_at < end)
    return where


def _case_figures(uow, where: list, by_matter: bool = False) -> dict:
    key = Matter.key if by_matter else None
    ended = and_(Case.status.in_(ENDED), Case.accepted_at.is_not(None))
    on_time = and_(ended, or_(Case.due_at.is_(None), Case.completed_at <= Case.due_at))
    columns = [
        func.count(Case.id),
        func.sum(when((ended, 1), else_=0)),
        func.sum(when((on_time, 1), else_=0)),
        func.avg(when((Case.status == CaseStatus.COMPLETED, Case.working_seconds), else_=None)),
        func.sum(when((Case.warning == Card.YELLOW, 1), else_=0)),
        func.sum(when((Case.warning == Card.RED, 1), else_=0)),
    ]
    query = select(*([key] if by_matter else []), *columns).select_from(Case).where(*where)
    if by_matter:
        query = query.join(Matter, Matter.id == Case.matter_id).group_by(Matter.key)
    figures = {}
    for row in uow.session.execute(query):
        row = list(row)
        name = row.pop(0) if by_matter else None
        count, ended_n, on_time_n, mean_seconds, yellow, red = row
        figures[name] = {
            **_empty(),
            "cases": count,
            "on_time_rate": _rate(on_time_n or 0, ended_n or 0),
            "mean_working_hours": round(mean_seconds / 3600, 2) if mean_seconds else None,
            "yellow": yellow or 0,
            "red": red or 0,
        }
    _add_statuses(uow, where, by_matter, figures)
    _add_ever_warned(uow, where, by_matter, figures)
    _add_ratings(uow, where, by_matter, figures)
    return figures


def _grouped(query, where: list, by_matter: bool):
    query = query.where(*where)
    if by_matter:
        query = query.join(Matter, Matter.id == Case.matter_id).group_by(Matter.key)
    return query


def _add_statuses(uow, where, by_matter, figures) -> None:
    head = [Matter.key] if by_matter else []
    query = _grouped(
        select(*head, Case.status, func.count()).select_from(Case), where, by_matter
    ).group_by(Case.status)
    for row in uow.session.execute(query):
        row = list(row)
        name = row.pop(0) if by_matter else None
        figures.setdefault(name, _empty())["by_status"][row[0]] = row[1]


def _add_ever_warned(uow, where, by_matter, figures) -> None:
    """Cases that were ever yellow / red (a card taken back by an extension still counts)."""
    head = [Matter.key] if by_matter else []
    level = Event.new["warning"].as_string()
    query = _grouped(
        select(*head, level, func.count(distinct(Event.case_id)))
        .select_from(Event)
        .join(Case, Case.id == Event.case_id)
        .where(Event.kind == "warning", level.in_((Card.YELLOW, Card.RED))),
        where,
        by_matter,
    ).group_by(level)
    for row in uow.session.execute(query):
        row = list(row)
        name = row.pop(0) if by_matter else None
        figures.setdefault(name, _empty())[f"ever_{row[0]}"] = row[1]


def _add_ratings(uow, where, by_matter, figures) -> None:
    head = [Matter.key] if by_matter else []
    query = _grouped(
        select(
            *head,
            func.count(Rating.case_id),
            func.avg(Rating.score),
            func.sum(when((Rating.score >= 4, 1), else_=0)),
        )
        .select_from(Rating)
        .join(Case, Case.id == Rating.case_id),
        where,
        by_matter,
    )
    for row in uow.session.execute(query):
        row = list(row)
        name = row.pop(0) if by_matter else None
        count, mean, good = row
        figures.setdefault(name, _empty())["ratings"] = {
            "count": count,
            "mean": round(float(mean), 2) if mean is not None else None,
            "share_4_5": _rate(good or 0, count),
        }


def _task_figures(uow, where: list, department: str | None, visible: list | None) -> dict:
    task_where = [Task.case_id.in_(select(Case.id).where(*where))] if where else []
    if department:
        task_where.append(Task.department == department)
    if visible is not None:
        task_where.append(Task.department.in_(visible))
    done = Task.state == TaskState.COMPLETED
    with_due = and_(done, Task.due_at.is_not(None))
    query = (
        select(
            Task.department,
            func.count(Task.id),
            func.sum(when((done, 1), else_=0)),
            func.sum(when((Task.state.in_(OPEN), 1), else_=0)),
            func.sum(when((with_due, 1), else_=0)),
            func.sum(when((and_(with_due, Task.completed_at <= Task.due_at), 1), else_=0)),
            func.sum(when((Task.warning == Card.YELLOW, 1), else_=0)),
            func.sum(when((Task.warning == Card.RED, 1), else_=0)),
        )
        .where(*task_where)
        .group_by(Task.department)
    )
    figures = {}
    for name, count, completed, open_, due_n, on_time_n, yellow, red in uow.session.execute(query):
        figures[name] = {
            "tasks": count,
            "completed": completed or 0,
            "open": open_ or 0,
            "on_time_rate": _rate(on_time_n or 0, due_n or 0),
            "yellow": yellow or 0,
            "red": red or 0,
        }
    return figures


def _empty() -> dict:
    return {
        "cases": 0,
        "by_status": {},
        "on_time_rate": None,
        "mean_working_hours": None,
        "yellow": 0,
        "red": 0,
        "ever_yellow": 0,
        "ever_red": 0,
        "ratings": {"count": 0, "mean": None, "share_4_5": None},
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def service_metrics(
    rt,
    token: str,
    matter: str | None = None,
    department: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict:
    """The figures for the caller (a service: its own unit of work)."""
    with staff_unit(rt, token) as (uow, actor):
        return metrics(uow, actor, matter, department, start, end)
