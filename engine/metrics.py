"""Service metrics (电子监察 + 好差评) per matter and per department."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from .access import Actor
from .applicant import on_time
from .cases import ENDED
from .models import Case, Matter, Rating, Task


def metrics(uow, actor: Actor, matter: str | None = None, department: str | None = None,
            start: datetime | None = None, end: datetime | None = None) -> dict:
    """Counts by status, on-time rate, yellow/red, ratings over cases submitted in [start, end)."""
    query = select(Case).join(Matter)
    if matter:
        query = query.where(Matter.key == matter)
    if start:
        query = query.where(Case.submitted_at >= start)
    if end:
        query = query.where(Case.submitted_at < end)
    cases = list(uow.session.scalars(query))
    ratings = {r.case_id: r.score for r in uow.session.scalars(
        select(Rating).where(Rating.case_id.in_([c.id for c in cases])))} if cases else {}
    now = uow.now()
    by_matter: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_matter[case.matter.key].append(case)
    tasks = [t for c in cases for t in c.tasks
             if (department is None or t.department == department)
             and (actor.is_admin or "analyst" in actor.roles or "supervisor" in actor.roles
                  or t.department in actor.departments)]
    by_department: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        by_department[task.department].append(task)
    return {
        "total": _case_figures(cases, ratings, now),
        "matters": {key: _case_figures(rows, ratings, now) for key, rows in by_matter.items()},
        "departments": {key: _task_figures(rows) for key, rows in by_department.items()},
    }


def _case_figures(cases: list[Case], ratings: dict[int, int], now) -> dict:
    statuses: dict[str, int] = defaultdict(int)
    for case in cases:
        statuses[case.status] += 1
    ended = [c for c in cases if c.status in ENDED and c.accepted_at is not None]
    scores = [ratings[c.id] for c in cases if c.id in ratings]
    return {
        "cases": len(cases), "by_status": dict(statuses),
        "on_time_rate": _rate(sum(on_time(c, now) for c in ended), len(ended)),
        "yellow": sum(c.warning == "yellow" for c in cases),
        "red": sum(c.warning == "red" for c in cases),
        "ratings": {"count": len(scores),
                    "mean": round(sum(scores) / len(scores), 2) if scores else None,
                    "share_4_5": _rate(sum(s >= 4 for s in scores), len(scores))},
    }


def _task_figures(tasks: list[Task]) -> dict:
    done = [t for t in tasks if t.state == "completed"]
    with_due = [t for t in done if t.due_at is not None]
    return {"tasks": len(tasks), "completed": len(done),
            "open": sum(t.state in ("ready", "claimed") for t in tasks),
            "on_time_rate": _rate(sum(t.completed_at <= t.due_at for t in with_due),
                                  len(with_due)),
            "yellow": sum(t.warning == "yellow" for t in tasks),
            "red": sum(t.warning == "red" for t in tasks)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
