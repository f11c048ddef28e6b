"""Wall clock, real Redis, real `cli.py worker` and `cli.py scheduler` processes:
a matter with second-scale SLAs goes yellow and red on its own, and a BPMN
boundary timer escalates a user task, each within 2 s of its due time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.runtime import Runtime
from engine.store.models import Case, Event, Task

from ..helpers import admin, deploy, progress
from ..live import Processes, process_env, queue_name, redis_url, wait_for  # noqa: F401

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "timer-escalation"
APPLICANT = {
    "name": "赵六",
    "id_type": "id_card",
    "id_number": "110101199001011234",
    "phone": "13700000000",
}
SLACK = 2.0  # seconds: the SPEC's bound on how late a timer may fire


@pytest.fixture
def live(runtime, redis_url, queue_name, tmp_path):  # noqa: F811
    """A wall-clock runtime and app over the test database, one worker, one scheduler."""
    from api.app import create_app

    wall = Runtime(runtime.settings)
    app = create_app(wall)
    app.testing = True
    processes = Processes(
        process_env(runtime.settings, redis_url, queue_name, ONETHING_TIMER_REQUEUE_SECONDS=3),
        tmp_path,
    )
    processes.start("worker")
    processes.start("scheduler")
    processes.wait_ready(redis_url, queue_name, workers=1)
    yield wall, app.test_client()
    processes.stop_all()
    wall.close()


def _events(wall, case_id, kind):
    with wall.uow() as uow:
        return [
            (e.at, e.new)
            for e in uow.session.scalars(
                select(Event).where(Event.case_id == case_id, Event.kind == kind).order_by(Event.id)
            )
        ]


def test_cards_and_a_boundary_timer_fire_on_their_own(live):
    wall, client = live
    boss = admin(client)
    files = {p.name: p.read_bytes() for p in FIXTURE.iterdir()}
    assert deploy(boss, files).status_code == 201
    res = client.post(
        "/api/matters/timer-escalation/cases",
        json={"applicant": APPLICANT, "form": {"subject": "排水许可"}},
    )
    assert res.status_code == 201, res.get_json()
    case_no, code = res.get_json()["case_no"], res.get_json()["query_code"]
    accept = next(i for i in boss.worklist() if i["case_no"] == case_no)
    assert boss.post(f"/api/tasks/{accept['id']}/complete", {"data": {}}).status_code == 200

    with wall.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.case_no == case_no))
        case_id, accepted_at, due_at = case.id, case.accepted_at, case.due_at
        review = next(t for t in case.tasks if t.task == "review")
        review_started = review.started_at
    assert (due_at - accepted_at).total_seconds() == 4

    def level(wanted):
        changes = [
            (at, new) for at, new in _events(wall, case_id, "warning") if new["warning"] == wanted
        ]
        return changes[0] if changes else None

    yellow_at, _ = wait_for(lambda: level("yellow"), 10, what="the yellow card")
    red_at, _ = wait_for(lambda: level("red"), 10, what="the red card")
    yellow_due = accepted_at.timestamp() + 2
    assert 0 <= yellow_at.timestamp() - yellow_due <= SLACK
    assert 0 <= red_at.timestamp() - due_at.timestamp() <= SLACK
    assert [new["warning"] for _, new in _events(wall, case_id, "warning")] == ["yellow", "red"]
    assert progress(client, case_no, code)["on_time"] is False
    red_cases = boss.get("/api/cases/" + case_no).get_json()
    assert red_cases["warning"] == "red"

    # the boundary timer (PT2S) on `review` took the task away and escalated
    def escalated():
        with wall.uow() as uow:
            rows = list(uow.session.scalars(select(Task).where(Task.case_id == case_id)))
            return {t.task: (t.state, t.started_at) for t in rows}

    tasks = wait_for(
        lambda: (lambda t: t if "escalate" in t else None)(escalated()),
        10,
        what="the escalation task",
    )
    assert tasks["review"][0] == "cancelled"
    lag = tasks["escalate"][1].timestamp() - (review_started.timestamp() + 2)
    assert 0 <= lag <= SLACK, lag
    assert [i["task"] for i in boss.worklist(department="sup") if i["case_no"] == case_no] == [
        "escalate"
    ]
    print(
        f"\nlive timers: yellow +{yellow_at.timestamp() - yellow_due:.2f}s, "
        f"red +{red_at.timestamp() - due_at.timestamp():.2f}s, boundary +{lag:.2f}s "
        f"after due ({datetime.now():%H:%M:%S})"
    )
