"""BPMN timer events (boundary and intermediate catch: duration, date, cycle).

SpiffWorkflow keeps a waiting timer task and compares its due time with the
wall clock only when asked (`refresh_waiting_tasks`). After every step of a
case's process, `sync` keeps one durable `bpmn` timer row per waiting timer
task; firing it loads the case, lets SpiffWorkflow see the time, runs the
process on and opens whatever became ready.

Expressions get working-day helpers of the matter's calendar: `workdays(3)`
and `workhours(4)` give the ISO 8601 duration from now to that deadline
(for `timeDuration`); `workdays_date(3)` / `workhours_date(4)` give the
instant (for `timeDate`). SpiffWorkflow counts timer durations from the wall
clock, so the helpers do too.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from . import timers
from .clock.calendar import Duration, get_calendar
from .models import Case
from .timers import Wanted

KIND = "bpmn"


def sync(uow, case: Case, flow) -> None:
    """One pending `bpmn` timer per timer event the process is waiting on
    (nothing to keep in step for a process with no timer events at all)."""
    if not flow.compiled.has_timer_events:
        return
    wanted = {f"bpmn:{spiff_id}": Wanted(due_at, None, {"spiff_id": spiff_id})
              for spiff_id, due_at in flow.waiting_timers().items()}
    timers.sync(uow, case.id, KIND, wanted)


@timers.handler(KIND)
def _fire(uow, fired: list) -> None:
    """Each case once, however many of its timer events fell due together."""
    from .cases import ENDED, advance, load_flow
    for case_id in dict.fromkeys(timer.case_id for timer in fired):
        case = uow.session.get(Case, case_id)
        if case.status in ENDED:
            continue
        flow = load_flow(case)
        flow.refresh_timers()
        advance(uow, case, flow)


def _wall_now() -> datetime:
    return datetime.now(timezone.utc)


def _seconds_until(calendar: str, duration: dict) -> str:
    now = _wall_now()
    due = get_calendar(calendar).add(now, Duration.parse(duration))
    return f"PT{max(0.0, (due - now).total_seconds()):.0f}S"


def _instant(calendar: str, duration: dict) -> str:
    return get_calendar(calendar).add(_wall_now(), Duration.parse(duration)).isoformat()


@lru_cache(maxsize=None)
def timer_functions(calendar: str) -> dict:
    """Helpers for timer expressions, counted in `calendar` (e.g. "CN")."""
    def workdays(n):
        return _seconds_until(calendar, {"workdays": n})

    def workhours(n):
        return _seconds_until(calendar, {"workhours": n})

    def workdays_date(n):
        return _instant(calendar, {"workdays": n})

    def workhours_date(n):
        return _instant(calendar, {"workhours": n})

    return {"workdays": workdays, "workhours": workhours,
            "workdays_date": workdays_date, "workhours_date": workhours_date}
