"""A return and a completion of the same dispatched task at the same instant, in two
processes: exactly one wins, the other is told the task's new state (409), and the
history has the winner only."""

from __future__ import annotations

import multiprocessing

from engine.domain.access import Actor
from engine.services import flow, handling, intake
from engine.store.models import Event

from ..concurrency_worker import act_at
from ..helpers import APPLICANT, example_form, task_output

KEY = "open-restaurant"
ADMIN = Actor("admin", frozenset(), frozenset({"admin"}))
ROUNDS = 4


def _dispatched_inspection(runtime) -> int:
    form = example_form(KEY)
    form["food"]["category"] = "cold_food"  # high risk: the on-site inspection is needed
    with runtime.uow() as uow:
        case, _ = intake.submit_case(uow, KEY, APPLICANT, form)
        uow.commit()
    for step in ("accept", "license_review"):
        with runtime.uow() as uow:
            task = next(t for t in flow.lock_case(uow, case.id).tasks if t.task == step)
            handling.complete(uow, ADMIN, task.id, task_output(KEY, step))
            uow.commit()
    with runtime.uow() as uow:
        task = next(t for t in flow.lock_case(uow, case.id).tasks if t.task == "site_inspection")
        assert task.department == "amr-donghu"
        return task.id


def test_a_return_and_a_completion_at_the_same_instant(runtime, clock):
    ctx = multiprocessing.get_context("spawn")
    outcomes = []
    for _ in range(ROUNDS):
        task_id = _dispatched_inspection(runtime)
        barrier, results = ctx.Barrier(2), ctx.Queue()
        common = (runtime.settings, clock.now(), "inspector", ["amr-donghu"])
        workers = [
            ctx.Process(
                target=act_at,
                args=(*common, "return_task", (task_id, "不在辖区"), barrier, results),
            ),
            ctx.Process(
                target=act_at,
                args=(
                    *common,
                    "complete",
                    (task_id, task_output(KEY, "site_inspection")),
                    barrier,
                    results,
                ),
            ),
        ]
        for worker in workers:
            worker.start()
        reports = {r["action"]: r["outcome"] for r in (results.get(timeout=120) for _ in workers)}
        for worker in workers:
            worker.join(timeout=60)
        won = [action for action, outcome in reports.items() if outcome == "ok"]
        assert len(won) == 1, reports
        lost = next(outcome for action, outcome in reports.items() if action not in won)
        assert lost.startswith("409 "), reports
        with runtime.uow() as uow:
            kinds = [e.kind for e in uow.session.query(Event).filter_by(task_id=task_id)]
        assert ("task_returned" in kinds) != ("task_completed" in kinds), kinds
        outcomes.append(won[0])
    print(f"\nreturn vs completion, {ROUNDS} rounds: winners {outcomes}")
