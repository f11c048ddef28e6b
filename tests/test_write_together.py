"""What an operation recorded (history, timers) is written at commit by
engine.db.write_together: in one round trip on PostgreSQL, and completely."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from engine import cases, handling, history, timers
from engine.access import Actor
from engine.db import TOGETHER_ROWS
from engine.models import Event, Timer

from .helpers import example_form, task_output

ADMIN = Actor("admin", frozenset(), frozenset({"admin"}))
PERSON = {"name": "李四", "id_type": "id_card", "id_number": "110101199001011234",
          "phone": "13900000000"}
KEY = "retirement"


@pytest.fixture
def statements(runtime):
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)
    event.listen(runtime.engine, "before_cursor_execute", count)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", count)


def test_history_and_timers_go_in_one_round_trip_on_postgresql(runtime, statements):
    with runtime.uow() as uow:
        case, _ = cases.submit_case(uow, KEY, PERSON, example_form(KEY))
        uow.commit()
    with runtime.uow() as uow:
        task = next(t for t in cases.lock_case(uow, case.id).tasks if t.state == "ready")
        handling.complete(uow, ADMIN, task.id, task_output(KEY, task.task))
        uow.session.flush()
        assert uow.events and (uow.timers_new or uow.timers_cancelled)
        statements.clear()
        uow.commit()
    writes = [s for s in statements if "INTO event" in s or "timer" in s]
    if runtime.engine.dialect.name == "postgresql":
        assert len(writes) == 1 and writes[0].lstrip().startswith("WITH")
    else:
        assert len(writes) >= 2


def test_more_rows_than_go_together_are_all_written(runtime):
    with runtime.uow() as uow:
        case, _ = cases.submit_case(uow, KEY, PERSON, example_form(KEY))
        uow.commit()
    many = TOGETHER_ROWS * 3 + 1
    with runtime.uow() as uow:
        case = cases.lock_case(uow, case.id)
        before = uow.session.scalar(select(func.count()).select_from(Timer)
                                    .where(Timer.case_id == case.id))
        due = uow.now() + timedelta(days=30)
        timers.sync(uow, case.id, "test", {f"k{i}": timers.Wanted(due) for i in range(many)})
        for i in range(many):
            history.record(uow, case, "test", "system", new={"i": i})
        uow.commit()
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Timer).where(
            Timer.case_id == case.id)) == before + many
        assert uow.session.scalar(select(func.count()).select_from(Event).where(
            Event.case_id == case.id, Event.kind == "test")) == many
