"""The business words for where a case, a task and a card stand: defined here once.

Values are the exact strings of SPEC §3, stored as they are; each enum is a
`str`, so a stored value compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # 已申请: clock not started
    IN_PROGRESS = "in_progress"  # 办理中: clock running
    AWAITING_SUPPLEMENT = "awaiting_supplement"  # 补正中: clock stopped
    SUSPENDED = "suspended"  # 特别程序: clock stopped
    COMPLETED = "completed"  # 已办结
    REFUSED = "refused"  # 不予受理 / 不予许可
    WITHDRAWN = "withdrawn"  # 已撤回
    ANSWERED = "answered"  # 直接答复: a request the agent closed on the spot (SPEC §8)


# a case in one of these has ended: nothing of it may change any more but its rating
ENDED = (CaseStatus.COMPLETED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN, CaseStatus.ANSWERED)
# the case clock (and its open tasks' clocks) counts in these
CLOCK_RUNNING = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)
# the clock stands in these (补正, 特别程序); on resume the case goes back to where it was
CLOCK_STOPPED = (CaseStatus.AWAITING_SUPPLEMENT, CaseStatus.SUSPENDED)


class TaskState(StrEnum):
    READY = "ready"  # 待办
    CLAIMED = "claimed"  # 办理中
    COMPLETED = "completed"  # 已办
    CANCELLED = "cancelled"


# a task still to be worked: on a worklist, with a clock and a card
OPEN = (TaskState.READY, TaskState.CLAIMED)


class TaskKind(StrEnum):
    PROCESS = "process"  # a user task of the case's BPMN process
    ASSIST = "assist"  # 协办: opened by a summon (吹哨报到), outside the process


class Card(StrEnum):
    """A deadline's warning level (预警): none, yellow (near), red (past due)."""

    NONE = "none"
    YELLOW = "yellow"
    RED = "red"


def has_ended(status: str) -> bool:
    return status in ENDED


def clock_running(status: str) -> bool:
    return status in CLOCK_RUNNING
