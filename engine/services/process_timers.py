"""BPMN timer events (boundary and intermediate catch: duration, date, cycle).

SpiffWorkflow keeps a waiting timer task and compares its due time with the
wall clock only when asked (`refresh_waiting_tasks`). After every step of a
case's process, `sync` keeps one durable `bpmn` timer row per waiting timer
task; firing it loads the case, lets SpiffWorkflow see the time, runs the
process on and opens whatever became ready (engine.services.timer_effects).
"""

from __future__ import annotations

from ..store.models import Case
from ..timers.schedule import Wanted
from ..timers.schedule import sync as sync_timers

KIND = "bpmn"


def sync(uow, case: Case, flow) -> None:
    """One pending `bpmn` timer per timer event the process is waiting on
    (nothing to keep in step for a process with no timer events at all)."""
    if not flow.compiled.has_timer_events:
        return
    wanted = {
        f"bpmn:{spiff_id}": Wanted(due_at, None, {"spiff_id": spiff_id})
        for spiff_id, due_at in flow.waiting_timers().items()
    }
    sync_timers(uow, case.id, KIND, wanted)
