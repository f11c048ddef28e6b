"""What staff do to tasks (engine.services.handling) and the staff services that own their
units of work (engine.services.tasks). Database, no HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.access import Actor
from engine.domain.statuses import CaseStatus, TaskState
from engine.errors import Forbidden, Invalid, NotFound, WrongState
from engine.services import accounts, flow, handling, tasks
from engine.store.models import Case

from ..helpers import complete_a_ready_task, submit_case, task_output

KEY = "open-restaurant"
CLERK = Actor("clerk", frozenset({"amr"}), frozenset({"handler"}))
OTHER = Actor("other", frozenset({"amr"}), frozenset({"handler"}))
FIRE = Actor("firefighter", frozenset({"fire"}), frozenset({"handler"}))
SUPERVISOR = Actor("boss", frozenset({"amr"}), frozenset({"supervisor"}))


def _ready(runtime, case_id: int, department: str | None = None) -> int:
    with runtime.uow() as uow:
        return next(
            t.id
            for t in flow.lock_case(uow, case_id).tasks
            if t.state == TaskState.READY and department in (None, t.department)
        )


def _do(runtime, action, *args):
    with runtime.uow() as uow:
        result = action(uow, *args)
        uow.commit()
        return result


def _status(runtime, case_id: int) -> str:
    with runtime.uow() as uow:
        return uow.session.get(Case, case_id).status


def test_claim_unclaim_and_the_holders_rule(runtime):
    task_id = _ready(runtime, submit_case(runtime, KEY))
    _do(runtime, handling.claim, CLERK, task_id)
    with runtime.uow() as uow, pytest.raises(WrongState, match="claimed"):
        handling.claim(uow, OTHER, task_id)
    with runtime.uow() as uow, pytest.raises(WrongState, match="claimed by clerk"):
        handling.complete(uow, OTHER, task_id, {})
    _do(runtime, handling.unclaim, SUPERVISOR, task_id)  # a supervisor may take it back
    _do(runtime, handling.claim, OTHER, task_id)


def test_another_departments_task_does_not_exist_for_you(runtime):
    task_id = _ready(runtime, submit_case(runtime, KEY))
    for action, args in ((handling.claim, ()), (handling.complete, ({},))):
        with runtime.uow() as uow, pytest.raises(NotFound):
            action(uow, FIRE, task_id, *args)


def test_a_completion_is_checked_against_the_tasks_form(runtime):
    case_id = submit_case(runtime, KEY)
    complete_a_ready_task(runtime, case_id, KEY)
    task_id = _ready(runtime, case_id, "amr")
    with runtime.uow() as uow:
        task = uow.session.get(Case, case_id).tasks
        name = next(t.task for t in task if t.id == task_id)
    with runtime.uow() as uow, pytest.raises(Invalid) as refused:
        handling.complete(uow, CLERK, task_id, {"unknown": 1})
    assert all(path.startswith("data") for path in refused.value.errors)
    _do(runtime, handling.complete, CLERK, task_id, task_output(KEY, name))


def test_a_supplement_stops_every_clock_and_the_applicants_answer_restarts_it(runtime, clock):
    case_id = submit_case(runtime, KEY)
    complete_a_ready_task(runtime, case_id, KEY)
    task_id = _ready(runtime, case_id, "amr")
    with runtime.uow() as uow:
        before = uow.session.get(Case, case_id).due_at
    _do(runtime, handling.request_supplement, CLERK, task_id, "缺少租赁合同", ["lease", "签字页"])
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case.status == CaseStatus.AWAITING_SUPPLEMENT
        assert [m["title"]["zh"] for m in case.missing_materials][-1] == "签字页"
        assert all("stopped_at" in t.clock for t in case.tasks if t.state == TaskState.READY)
    clock.advance(days=3)
    with runtime.uow() as uow:
        from engine.services import applicant

        applicant.supplement(uow, flow.lock_case(uow, case_id), {}, "已补")
        uow.commit()
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case.status == CaseStatus.IN_PROGRESS and case.due_at > before
        assert case.due_at - before >= timedelta(days=3)


def test_a_special_procedure_suspends_and_resumes_the_case(runtime):
    case_id = submit_case(runtime, KEY)
    complete_a_ready_task(runtime, case_id, KEY)
    task_id = _ready(runtime, case_id, "amr")
    _do(runtime, handling.suspend, CLERK, task_id, "inspection", "现场检验")
    assert _status(runtime, case_id) == CaseStatus.SUSPENDED
    with runtime.uow() as uow, pytest.raises(WrongState):
        handling.complete(uow, CLERK, task_id, {})
    _do(runtime, handling.resume, CLERK, task_id)
    assert _status(runtime, case_id) == CaseStatus.IN_PROGRESS


def test_refusal_ends_the_case(runtime):
    case_id = submit_case(runtime, KEY)
    _do(runtime, handling.refuse, CLERK, _ready(runtime, case_id), "不符合条件")
    assert _status(runtime, case_id) == CaseStatus.REFUSED


def test_an_extension_needs_a_supervisor_a_reason_and_a_running_case(runtime):
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        case_no = uow.session.get(Case, case_id).case_no
    with runtime.uow() as uow, pytest.raises(Forbidden):
        handling.extend(uow, CLERK, case_no, 5, "复杂")
    with runtime.uow() as uow, pytest.raises(WrongState):  # not accepted yet
        handling.extend(uow, SUPERVISOR, case_no, 5, "复杂")
    complete_a_ready_task(runtime, case_id, KEY)
    with runtime.uow() as uow, pytest.raises(Invalid) as refused:
        handling.extend(uow, SUPERVISOR, case_no, 0, " ")
    assert set(refused.value.errors) == {"workdays", "reason"}
    with runtime.uow() as uow:
        before = uow.session.get(Case, case_id).due_at
    _do(runtime, handling.extend, SUPERVISOR, case_no, 5, "需要专家论证")
    with runtime.uow() as uow:
        assert uow.session.get(Case, case_id).due_at > before


def test_the_staff_services_own_their_units_of_work_and_answer_plain_data(runtime):
    accounts.add_user(runtime, None, "clerk", "clerk-password-1", "窗口", ["amr"], ["handler"])
    token = accounts.log_in(runtime, "clerk", "clerk-password-1")["token"]
    case_id = submit_case(runtime, KEY)
    listed = tasks.worklist(runtime, token)
    assert [t["task"] for t in listed] == ["accept"] and isinstance(listed[0], dict)
    claimed = tasks.claim(runtime, token, listed[0]["id"])
    assert claimed["state"] == TaskState.CLAIMED and claimed["assignee"] == "clerk"
    done = tasks.complete(runtime, token, claimed["id"], task_output(KEY, "accept"))
    assert done["state"] == TaskState.COMPLETED and done["case_status"] == CaseStatus.IN_PROGRESS
    view = tasks.staff_case(runtime, token, done["case_no"])
    assert view["status"] == CaseStatus.IN_PROGRESS and view["history"]
    with runtime.uow() as uow:  # committed: another unit of work sees it
        assert uow.session.get(Case, case_id).status == CaseStatus.IN_PROGRESS
    with pytest.raises(NotFound):
        tasks.claim(runtime, token, 10**6)
