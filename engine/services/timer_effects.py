"""What a fired timer does, per kind: the effects the runtime registers with the timers.

- `warning` (engine.services.cards): a case's or a task's card may move now;
- `bpmn` (engine.services.process_timers): a BPMN timer event is due; the
  process is run on from it.
"""

from __future__ import annotations

from ..domain.statuses import has_ended
from ..store.models import Case
from . import card_timers, cards, process_timers
from .flow import advance, load_flow


def fire_process_timers(uow, fired: list) -> None:
    """Each case once, however many of its timer events fell due together."""
    for case_id in dict.fromkeys(timer.case_id for timer in fired):
        case = uow.session.get(Case, case_id)
        if has_ended(case.status):
            continue
        flow = load_flow(case)
        flow.refresh_timers()
        advance(uow, case, flow)


EFFECTS = {cards.KIND: card_timers.fire, process_timers.KIND: fire_process_timers}
