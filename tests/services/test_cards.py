"""Yellow and red cards with the fixed clock: they come on their own as time passes
(the engine's fire-due-timers, as a worker would), freeze while the clock is stopped,
move on resume and extension, and each change is one event and one notification."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from sqlalchemy import func, select

from engine.domain.access import Actor
from engine.domain.applicant import query_code
from engine.services import applicant, handling, intake, operations
from engine.store.models import Case, Event, Timer
from engine.timers import firing
from engine.timers import schedule as timers

from ..helpers import Office, example_form, progress

ADMIN = Actor("admin", frozenset(), frozenset({"admin"}))
PERSON = {
    "name": "李四",
    "id_type": "id_card",
    "id_number": "110101199001011234",
    "phone": "13900000000",
}
UTC = timezone.utc


class Recorder:
    def __init__(self):
        self.messages = []

    def notify(self, message):
        self.messages.append(message)


def _submit(runtime, key="retirement") -> int:
    with runtime.uow() as uow:
        case, _ = intake.submit_case(uow, key, PERSON, example_form(key))
        uow.commit()
        return case.id


def _case(uow, case_id) -> Case:
    return uow.session.get(Case, case_id)


def _events(runtime, case_id, *kinds) -> list[SimpleNamespace]:
    with runtime.uow() as uow:
        return [
            SimpleNamespace(kind=e.kind, old=e.old, new=e.new, public=e.public)
            for e in uow.session.scalars(
                select(Event)
                .where(Event.case_id == case_id, Event.kind.in_(kinds))
                .order_by(Event.id)
            )
        ]


def _pending(runtime, case_id) -> dict[str, datetime]:
    with runtime.uow() as uow:
        return {t.key: t.due_at for t in timers.pending(uow, case_id)}


def _accept(runtime, case_id) -> None:
    with runtime.uow() as uow:
        case = _case(uow, case_id)
        handling.complete(uow, ADMIN, case.tasks[0].id, {})
        uow.commit()


def test_task_goes_yellow_then_red_on_its_own(runtime, clock):
    runtime.notifier = recorder = Recorder()
    case_id = _submit(runtime)
    with runtime.uow() as uow:
        task = _case(uow, case_id).tasks[0]
        assert task.warning == "none"
        task_id = task.id
    # accept: due end of Tuesday (24:00 local), 4 working hours before = 13:30 local
    assert _pending(runtime, case_id) == {
        f"task:{task_id}:yellow": datetime(2026, 11, 24, 5, 30, tzinfo=UTC),
        f"task:{task_id}:red": datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
    }
    assert operations.fire_due(runtime) == 0

    clock.set(datetime(2026, 11, 24, 5, 29, tzinfo=UTC))
    assert operations.fire_due(runtime) == 0
    clock.set(datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    assert operations.fire_due(runtime) == 1
    with runtime.uow() as uow:
        assert uow.session.get(type(task), task_id).warning == "yellow"
    clock.set(datetime(2026, 11, 24, 16, 0, 1, tzinfo=UTC))
    assert operations.fire_due(runtime) == 1
    assert operations.fire_due(runtime) == 0
    with runtime.uow() as uow:
        assert uow.session.get(type(task), task_id).warning == "red"
    changes = [
        (e.old["warning"], e.new["warning"]) for e in _events(runtime, case_id, "task_warning")
    ]
    assert changes == [("none", "yellow"), ("yellow", "red")]
    assert [(m["level"], m["roles"]) for m in recorder.messages] == [
        ("yellow", ["handler"]),
        ("red", ["handler", "supervisor"]),
    ]
    assert recorder.messages[0]["task"]["department"] == "hrss"
    assert _pending(runtime, case_id) == {}


def test_a_fired_timer_never_fires_again(runtime, clock):
    case_id = _submit(runtime)
    clock.set(datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    with runtime.uow() as uow:
        timer_id = firing.due_ids(uow, clock.now())[0]
    for _ in range(3):
        with runtime.uow() as uow:
            firing.fire_many(uow, [timer_id], runtime.timer_effects)
            uow.commit()
    assert len(_events(runtime, case_id, "task_warning")) == 1
    with runtime.uow() as uow:
        assert uow.session.get(Timer, timer_id).fired_at == clock.now()


def test_completing_the_task_cancels_its_timers(runtime, clock):
    case_id = _submit(runtime)
    _accept(runtime, case_id)
    pending = _pending(runtime, case_id)
    assert not any(k.startswith(f"task:{1}:") for k in pending if k.endswith("accept"))
    with runtime.uow() as uow:
        case = _case(uow, case_id)
        open_ids = {t.id for t in case.tasks if t.state == "ready"}
        accept_id = case.tasks[0].id
    assert {"case:yellow", "case:red"} <= set(pending)
    assert {int(k.split(":")[1]) for k in pending if k.startswith("task:")} == open_ids
    assert accept_id not in open_ids
    with runtime.uow() as uow:
        cancelled = uow.session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.task_id == accept_id, Timer.cancelled_at.is_not(None))
        )
    assert cancelled == 2


def test_case_cards_show_in_progress_and_a_stopped_clock_freezes_them(runtime, clock, client):
    case_id = _submit(runtime)
    _accept(runtime, case_id)
    due = _pending(runtime, case_id)
    yellow_at, red_at = due["case:yellow"], due["case:red"]
    assert (yellow_at, red_at) == (
        datetime(2026, 12, 3, 16, tzinfo=UTC),
        datetime(2026, 12, 7, 16, tzinfo=UTC),
    )
    clock.set(yellow_at)
    operations.fire_due(runtime)
    with runtime.uow() as uow:
        case = _case(uow, case_id)
        assert case.warning == "yellow"
        case_no, task_id = case.case_no, next(t.id for t in case.tasks if t.state == "ready")
        code = query_code(runtime.settings.secret_key, case.case_no, case.code_salt)
    state = progress(client, case_no, code)
    assert state["on_time"] is True
    assert state["timeline"][-1]["kind"] == "warning"

    # 补正: the clock stops; nothing fires however long the applicant takes
    with runtime.uow() as uow:
        handling.request_supplement(uow, ADMIN, task_id, "缺材料", ["其他"])
        uow.commit()
    assert _pending(runtime, case_id) == {}
    clock.set(datetime(2026, 12, 30, 1, tzinfo=UTC))  # Wednesday 09:00, office opening
    assert operations.fire_due(runtime) == 0
    with runtime.uow() as uow:
        assert _case(uow, case_id).warning == "yellow"
    # resume: the time left is kept, so still yellow, and red moves by the pause
    with runtime.uow() as uow:
        applicant.supplement(uow, _case(uow, case_id), {}, "补好了")
        uow.commit()
    with runtime.uow() as uow:
        case = _case(uow, case_id)
        # two working days were left: Wednesday and Thursday
        assert case.warning == "yellow" and case.due_at == datetime(2026, 12, 31, 16, tzinfo=UTC)
        new_red = case.due_at
    assert _pending(runtime, case_id)["case:red"] == new_red
    clock.set(new_red)
    operations.fire_due(runtime)
    state = progress(client, case_no, code)
    assert state["on_time"] is False
    kinds = [e.new["warning"] for e in _events(runtime, case_id, "warning")]
    assert kinds == ["yellow", "red"]


def test_extension_takes_a_red_card_back(runtime, clock):
    case_id = _submit(runtime)
    _accept(runtime, case_id)
    clock.set(_pending(runtime, case_id)["case:red"])
    operations.fire_due(runtime)
    with runtime.uow() as uow:
        case = _case(uow, case_id)
        assert case.warning == "red"
        case_no = case.case_no
        handling.extend(uow, ADMIN, case_no, 5, "情况复杂")
        uow.commit()
    with runtime.uow() as uow:
        assert _case(uow, case_id).warning == "none"
    events = _events(runtime, case_id, "warning")
    assert [e.new["warning"] for e in events] == ["yellow", "red", "none"] or [
        e.new["warning"] for e in events
    ] == ["red", "none"]
    assert events[-1].new["reason"] == "extended" and events[-1].public
    assert {"case:yellow", "case:red"} <= set(_pending(runtime, case_id))


def test_ending_the_case_cancels_every_timer(runtime, clock):
    case_id = _submit(runtime)
    with runtime.uow() as uow:
        case = _case(uow, case_id)
        handling.refuse(uow, ADMIN, case.tasks[0].id, "不符合条件")
        uow.commit()
    assert _pending(runtime, case_id) == {}
    clock.advance(days=30)
    assert operations.fire_due(runtime) == 0


def test_worklist_filters_on_the_card(runtime, clock, client):
    office = Office(client, "retirement")
    case_id = _submit(runtime)
    clock.set(datetime(2026, 11, 24, 5, 30, tzinfo=UTC))
    operations.fire_due(runtime)
    office.relogin(client)
    member = office.staff["hrss"]
    yellow = member.worklist(warning="yellow")
    assert [i["warning"] for i in yellow] == ["yellow"]
    assert member.worklist(warning="red") == []
    with runtime.uow() as uow:
        assert yellow[0]["case_no"] == _case(uow, case_id).case_no


def test_metrics_count_cards_working_time_and_ratings(runtime, clock, client):
    from ..helpers import admin

    finished = _submit(runtime)
    with runtime.uow() as uow:
        case = _case(uow, finished)
        while any(t.state == "ready" for t in case.tasks):
            task = next(t for t in case.tasks if t.state == "ready")
            clock.advance(hours=1)
            from ..helpers import task_output

            handling.complete(uow, ADMIN, task.id, task_output("retirement", task.task))
            case = _case(uow, finished)
        assert case.status == "completed"
        applicant.rate(uow, case, 5, "好")
        uow.commit()
    late = _submit(runtime)
    _accept(runtime, late)
    clock.set(_pending(runtime, late)["case:red"])
    operations.fire_due(runtime)
    body = admin(client).get("/api/metrics", query_string={"matter": "retirement"}).get_json()
    total = body["total"]
    assert total["cases"] == 2 and total["by_status"] == {"completed": 1, "in_progress": 1}
    assert total["red"] == 1 and total["ever_red"] == 1
    assert total["on_time_rate"] == 1.0
    assert total["mean_working_hours"] > 0
    assert total["ratings"] == {"count": 1, "mean": 5.0, "share_4_5": 1.0}
    assert body["matters"]["retirement"]["cases"] == 2
    assert body["departments"]["hrss"]["tasks"] >= 2
    assert body["departments"]["hrss"]["red"] >= 1


def test_prometheus_endpoint_reports_timers_and_latency(runtime, clock, client, monkeypatch):
    _submit(runtime)
    clock.set(datetime(2026, 11, 24, 5, 30, 1, tzinfo=UTC))
    operations.fire_due(runtime)
    monkeypatch.setattr(
        type(runtime),
        "queue",
        lambda self: (_ for _ in ()).throw(ConnectionError("no Redis in this test")),
    )
    client.get("/api/matters")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'onething_timers_pending{kind="warning"} 1.0' in text
    assert 'onething_timer_lag_seconds_bucket{le="2.0"} 1.0' in text
    assert "onething_request_seconds_count" in text


def test_the_scheduler_poll_reads_only_the_index_of_pending_timers(runtime, clock):
    """Its cost follows what is due, not how many cases or fired timers exist."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql, sqlite

    with runtime.uow() as uow:
        dialect = uow.session.get_bind().dialect.name
        seen = []
        original = uow.session.scalars

        def spy(statement, *args, **kwargs):
            seen.append(statement)
            return original(statement, *args, **kwargs)

        uow.session.scalars = spy
        firing.claim_due(uow, clock.now())
        compiled = seen[0].compile(
            dialect=(postgresql if dialect == "postgresql" else sqlite).dialect(),
            compile_kwargs={"literal_binds": True},
        )
        if dialect == "postgresql":
            uow.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in uow.session.execute(text(f"EXPLAIN {compiled}")))
        else:
            plan = " ".join(
                str(r[-1]) for r in uow.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
    assert "ix_timer_due" in plan, plan


def _timer_rows(runtime) -> set[tuple]:
    with runtime.uow() as uow:
        return {
            (t.id, t.case_id, t.key, t.due_at, t.fired_at, t.cancelled_at)
            for t in uow.session.scalars(select(Timer))
        }


def test_a_burst_fired_in_one_batch_leaves_what_refresh_would(runtime, clock):
    """Many cases' cards at once (case and task targets, a stopped clock among them):
    every change is one event and one message, and running the one-case path
    (`warnings.refresh`) afterwards finds nothing left to do."""
    from engine.services import cards as warnings

    runtime.notifier = recorder = Recorder()
    ids = [_submit(runtime) for _ in range(6)]
    for case_id in ids[:4]:
        _accept(runtime, case_id)
    with runtime.uow() as uow:  # the first case waits for a 补正: its clock is stopped
        task = next(t for t in _case(uow, ids[0]).tasks if t.state == "ready")
        handling.request_supplement(uow, ADMIN, task.id, "缺材料", ["其他"])
        uow.commit()
    clock.set(datetime(2026, 12, 4, 16, tzinfo=UTC))  # past the cases' yellow, tasks red
    with runtime.uow() as uow:
        due = firing.due_ids(uow, clock.now())
    assert len(due) > 10
    assert operations.fire_timers(runtime, due) == {"fired": len(due), "skipped": 0, "failed": 0}
    with runtime.uow() as uow:
        cards = {case_id: _case(uow, case_id).warning for case_id in ids}
    assert cards[ids[0]] == "none"  # frozen by the 补正
    assert {cards[i] for i in ids[1:4]} == {"yellow"}
    events = _events(runtime, ids[1], "warning", "task_warning")
    assert [e.new["warning"] for e in events if e.kind == "warning"] == ["yellow"]
    assert {e.new["warning"] for e in events if e.kind == "task_warning"} == {"red"}
    assert len(recorder.messages) == sum(
        len(_events(runtime, i, "warning", "task_warning")) for i in ids
    )
    case_message = next(m for m in recorder.messages if m["target"] == "case")
    assert case_message["level"] == "yellow" and case_message["departments"]

    before, count = _timer_rows(runtime), len(recorder.messages)
    with runtime.uow() as uow:
        for case_id in ids:
            warnings.refresh(uow, _case(uow, case_id))
        uow.commit()
    assert _timer_rows(runtime) == before
    assert len(recorder.messages) == count
    assert operations.fire_due(runtime) == 0
