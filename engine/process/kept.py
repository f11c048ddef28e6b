"""Process instances kept in memory between one operation on a case and the next.

Reading a stored instance back into SpiffWorkflow objects is a large part of
every step, and a case's next operation often lands in the process that did
the last one. The database stays the source of truth: an instance is used
again only if the case row, read under its lock, still carries the version
(and the per-case salt, so a restored or recreated database cannot match)
that the instance was committed with. An instance is taken out while an
operation uses it and put back only after that operation committed, so a
failed operation, or another process's change, never leaks into it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow

CAPACITY = 512  # instances of ~30-50 tasks each: a few tens of MB at most

_kept: OrderedDict[int, tuple[tuple, BpmnWorkflow]] = OrderedDict()
_lock = threading.Lock()


def take(case_id: int, stamp: tuple) -> BpmnWorkflow | None:
    """The instance committed at `stamp` (salt, version), now owned by the caller."""
    with _lock:
        entry = _kept.pop(case_id, None)
    if entry is None or entry[0] != stamp:
        return None
    return entry[1]


def keep(case_id: int, stamp: tuple, workflow: BpmnWorkflow) -> None:
    with _lock:
        _kept[case_id] = (stamp, workflow)
        _kept.move_to_end(case_id)
        while len(_kept) > CAPACITY:
            _kept.popitem(last=False)
