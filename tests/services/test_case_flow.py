"""The case flow (engine.services.flow, intake): a case's process moved forward inside one
unit of work, and the intake service that owns its own. Database, no HTTP."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import yaml

from engine.domain.applicant import query_code
from engine.domain.statuses import CaseStatus, TaskState
from engine.errors import Conflict, Invalid
from engine.process import kept
from engine.services import catalogue, flow, intake
from engine.store.models import Case, Event, Task, Timer

from ..helpers import (
    ADMIN_ACTOR,
    APPLICANT,
    complete_a_ready_task,
    complete_case,
    example_form,
    package_files,
    submit_case,
    zip_bytes,
)

KEY = "open-restaurant"
UTC = timezone.utc


def _case(runtime, case_id: int) -> SimpleNamespace:
    """The case as stored, copied out of its unit of work (with its tasks)."""
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        columns = {c.key: getattr(case, c.key) for c in Case.__table__.columns}
        tasks = [
            SimpleNamespace(**{c.key: getattr(t, c.key) for c in Task.__table__.columns})
            for t in case.tasks
        ]
        return SimpleNamespace(**columns, tasks=tasks)


def _events(runtime, case_id: int) -> list[str]:
    with runtime.uow() as uow:
        return [
            e.kind for e in uow.session.query(Event).filter_by(case_id=case_id).order_by(Event.id)
        ]


def test_intake_opens_the_acceptance_task_and_nothing_runs_the_clock(runtime):
    case = _case(runtime, submit_case(runtime, KEY))
    assert case.status == CaseStatus.SUBMITTED and case.accepted_at is None
    assert [(t.task, t.state) for t in case.tasks] == [("accept", TaskState.READY)]
    assert case.tasks[0].due_at is not None  # the task's own clock runs from ready
    assert _events(runtime, case.id) == ["submitted", "task_ready"]


def test_the_case_number_is_the_calendars_local_date(runtime, clock):
    """23:30 UTC is 07:30 the next day in the matter's calendar (Asia/Shanghai)."""
    clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    case = _case(runtime, submit_case(runtime, KEY))
    assert case.case_no.startswith("20261124")


def test_acceptance_starts_the_case_clock_and_opens_the_departments(runtime):
    case_id = submit_case(runtime, KEY)
    complete_a_ready_task(runtime, case_id, KEY)  # 受理
    case = _case(runtime, case_id)
    assert case.status == CaseStatus.IN_PROGRESS and case.accepted_at is not None
    assert case.due_at > case.accepted_at and case.statutory_due_at > case.due_at
    ready = {t.department for t in case.tasks if t.state == TaskState.READY}
    assert {"amr", "fire", "eco", "tax"} <= ready


def test_the_last_department_completes_the_case_with_every_result(runtime):
    case_id = submit_case(runtime, KEY)
    complete_case(runtime, case_id, KEY)
    case = _case(runtime, case_id)
    assert case.status == CaseStatus.COMPLETED and case.completed_at is not None
    assert case.working_seconds is not None
    done = [t for t in case.tasks if t.state == TaskState.COMPLETED]
    assert {(t.department, t.task) for t in done} == {
        (department, task) for department, tasks in case.results.items() for task in tasks
    }
    with runtime.uow() as uow:  # nothing of an ended case may fire any more
        pending = uow.session.query(Timer).filter_by(
            case_id=case_id, fired_at=None, cancelled_at=None
        )
        assert pending.count() == 0


def test_ending_a_case_cancels_its_open_tasks_and_stops_its_process(runtime):
    case_id = submit_case(runtime, KEY)
    complete_a_ready_task(runtime, case_id, KEY)
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        flow.end_case(uow, case, CaseStatus.WITHDRAWN, "applicant", "changed my mind", "撤回")
        uow.commit()
    case = _case(runtime, case_id)
    assert case.status == CaseStatus.WITHDRAWN
    assert all(t.state in (TaskState.COMPLETED, TaskState.CANCELLED) for t in case.tasks)
    with runtime.uow() as uow:
        assert flow.load_flow(flow.lock_case(uow, case_id)).workflow.is_completed()


def test_a_kept_instance_is_used_only_at_the_version_it_was_stored_with(runtime):
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        stamp = (case.code_salt, case.lock_version)
    assert kept.take(case_id, stamp) is not None  # kept after the intake's commit
    with runtime.uow() as uow:  # taken above: the next operation reads the stored state
        case = flow.lock_case(uow, case_id)
        assert flow.load_flow(case).ready_user_tasks()[0].task == "accept"
    assert kept.take(case_id, (stamp[0], stamp[1] - 1)) is None


def test_the_intake_service_answers_plain_data_and_repeats_for_the_same_key(runtime):
    receipt, created = intake.submit(runtime, KEY, APPLICANT, example_form(KEY), "key-1")
    again, created_again = intake.submit(runtime, KEY, APPLICANT, example_form(KEY), "key-1")
    assert created and not created_again and again == receipt
    assert set(receipt) == {"case_no", "query_code", "status", "submitted_at"}
    with runtime.uow() as uow:
        case = uow.session.query(Case).filter_by(case_no=receipt["case_no"]).one()
        code = query_code(runtime.settings.secret_key, case.case_no, case.code_salt)
        assert receipt["query_code"] == code
    with pytest.raises(Conflict):  # the same key for another request
        intake.submit(runtime, KEY, {**APPLICANT, "name": "李四"}, example_form(KEY), "key-1")


def test_a_bad_intake_names_every_problem_and_writes_nothing(runtime):
    with pytest.raises(Invalid) as refused:
        intake.submit(runtime, KEY, {"name": ""}, {"shop": "x"})
    assert {"applicant/name", "applicant/phone", "form/shop"} <= set(refused.value.errors)
    with runtime.uow() as uow:
        assert uow.session.query(Case).count() == 0


def test_a_task_form_given_as_a_file_is_the_schema_the_completion_is_checked_against(runtime):
    """matter.yaml may name a task's output form by file: the typed settings hold the
    schema, and the completion is checked against it (not against the file's name)."""
    files = package_files("retirement")
    matter = yaml.safe_load(files["matter.yaml"])
    first = next(iter(matter["tasks"]))
    matter["tasks"][first]["form"] = "first-task.json"
    files["first-task.json"] = (
        b'{"type": "object", "required": ["opinion"], '
        b'"properties": {"opinion": {"type": "string", "minLength": 2}}}'
    )
    matter["key"] = "retirement-file-form"
    files["matter.yaml"] = yaml.safe_dump(matter, allow_unicode=True).encode()
    catalogue.deploy_package(runtime, None, zip_bytes(files))
    case_id = submit_case(runtime, "retirement-file-form", example_form("retirement"))
    task = next(t for t in _case(runtime, case_id).tasks if t.task == first)
    from engine.services import handling

    with runtime.uow() as uow, pytest.raises(Invalid) as refused:
        handling.complete(uow, ADMIN_ACTOR, task.id, {"opinion": ""})
    assert "data/opinion" in refused.value.errors
    with runtime.uow() as uow:
        handling.complete(uow, ADMIN_ACTOR, task.id, {"opinion": "同意"})
        uow.commit()
