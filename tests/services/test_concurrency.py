"""Two processes complete the parallel tasks of the same case at the same instant,
case after case: no update may be lost (both outputs kept, the join passed once)."""

from __future__ import annotations

import multiprocessing
import statistics

from SpiffWorkflow.util.task import TaskState

from engine.domain.access import Actor
from engine.services import flow, handling, intake
from engine.store.models import Case, Task

from ..concurrency_worker import complete_in_rounds, submit_in_rounds
from ..helpers import example_form, task_output

ADMIN = Actor("admin", frozenset(), frozenset({"admin"}))
CASES = 25


def _accepted_cases(runtime, key: str) -> list[tuple[int, tuple, tuple]]:
    """(case id, (first parallel task id, its output), (second ..., ...)) per case."""
    pairs = []
    for _ in range(CASES):
        with runtime.uow() as uow:
            case, _ = intake.submit_case(
                uow,
                key,
                {
                    "name": "王五",
                    "id_type": "id_card",
                    "id_number": "110101199001011234",
                    "phone": "13900000000",
                },
                example_form(key),
            )
            acceptance = case.tasks[0]
            handling.complete(uow, ADMIN, acceptance.id, task_output(key, acceptance.task))
            uow.commit()
            open_tasks = [t for t in case.tasks if t.state == "ready"]
            assert len(open_tasks) >= 2
            pairs.append((case.id, *((t.id, task_output(key, t.task)) for t in open_tasks[:2])))
    return pairs


def _in_step(target, args_per_process: list[tuple]) -> list[dict]:
    """Run `target(*args, barrier, results)` in one spawned process per args, in
    step on a shared barrier; their reports, none of which may carry an error."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(args_per_process)), ctx.Queue()
    workers = [
        ctx.Process(target=target, args=(*args, barrier, results)) for args in args_per_process
    ]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [r["errors"] for r in reports] == [[] for _ in workers]
    return reports


def test_simultaneous_completions_lose_no_update(runtime):
    key = "retirement"
    pairs = _accepted_cases(runtime, key)
    reports = _in_step(
        complete_in_rounds, [(runtime.settings, [p[i] for p in pairs]) for i in (1, 2)]
    )

    lost = 0
    with runtime.uow() as uow:
        for case_id, first, second in pairs:
            case = uow.session.get(Case, case_id)
            tasks = {t.id: t for t in case.tasks}
            process = flow.load_flow(case)
            for task_id in (first[0], second[0]):
                row: Task = tasks[task_id]
                spiff = process.workflow.get_task_from_id(__import__("uuid").UUID(row.spiff_id))
                if (
                    row.state != "completed"
                    or row.data is None
                    or spiff.state != TaskState.COMPLETED
                ):
                    lost += 1
            spiff_ready = {
                str(t.id) for t in process.workflow.get_tasks(state=TaskState.READY, manual=True)
            }
            open_rows = {t.spiff_id for t in case.tasks if t.state in ("ready", "claimed")}
            assert spiff_ready == open_rows, case.case_no
    timings = [t for r in reports for t in r["timings"]]
    print(
        f"\nconcurrency: {CASES} cases x 2 simultaneous completions on "
        f"{runtime.engine.dialect.name}: lost updates={lost}, "
        f"median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms"
    )
    assert lost == 0


def test_simultaneous_intakes_get_their_own_case_numbers(runtime):
    """The case id is taken before the row is written (engine.db.next_id): two
    processes taking one at the same instant must still get different ones."""
    key, rounds = "retirement", 15
    reports = _in_step(submit_in_rounds, [(runtime.settings, key, example_form(key), rounds)] * 2)
    made = [m for r in reports for m in r["made"]]
    assert len(made) == 2 * rounds
    assert len({case_id for case_id, _ in made}) == len({no for _, no in made}) == 2 * rounds
    with runtime.uow() as uow:
        stored = {(c.id, c.case_no) for c in uow.session.query(Case)}
    assert stored == set(made)
    assert all(no.endswith(f"{case_id:08d}") for case_id, no in made)


def test_simultaneous_retries_with_one_idempotency_key_make_one_case(app, runtime):
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from ..helpers import submit

    def attempt(_):
        with app.test_client() as client:
            res = submit(client, "retirement", headers={"Idempotency-Key": "same-key-1"})
            return res.status_code, res.get_json()["case_no"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(attempt, range(12)))
    assert {status for status, _ in answers} == {201}
    assert len({case_no for _, case_no in answers}) == 1
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 1
