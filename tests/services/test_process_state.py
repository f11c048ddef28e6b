"""The form lives once in the case row: workflow state must not grow with its size."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
import yaml
from sqlalchemy import select

from engine.store.models import Case

from ..helpers import Office, deploy, example_form, make_staff, package_files, submit


def _with_extra_fields(count: int) -> dict[str, bytes]:
    files = package_files("retirement")
    matter = yaml.safe_load(files["matter.yaml"])
    schema = json.loads(files[matter["form"]])
    for i in range(count):
        schema["properties"][f"extra_{i:04d}"] = {"type": "string", "maxLength": 200}
    files[matter["form"]] = json.dumps(schema, ensure_ascii=False).encode()
    return files


def _state_bytes(runtime, case_no: str) -> tuple[int, int]:
    with runtime.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.case_no == case_no))
        return len(case.workflow_state), len(json.dumps(case.form, ensure_ascii=False))


def test_workflow_state_does_not_grow_with_the_form(client, runtime):
    analyst = make_staff(client, "ana", [], roles=("analyst",))
    assert deploy(analyst, _with_extra_fields(1000)).status_code == 201
    office = Office(client, "retirement")
    small = example_form("retirement")
    big = dict(small, **{f"extra_{i:04d}": "填写内容" * 10 for i in range(1000 - len(small))})
    assert len(big) == 1000
    sizes = {}
    for label, form in (("10", small), ("1000", big)):
        body = submit(client, "retirement", form).get_json()
        case_no = body["case_no"]
        at_intake = _state_bytes(runtime, case_no)
        for _ in range(3):  # acceptance, then a round of department work
            for dept, item in office.open_tasks(case_no):
                office.work(dept, item)
        sizes[label] = (at_intake, _state_bytes(runtime, case_no))
    (small_intake, small_form), (small_later, _) = sizes["10"]
    (big_intake, big_form), (big_later, _) = sizes["1000"]
    print(
        f"\nworkflow state bytes: {len(small)}-field form ({small_form} B): "
        f"{small_intake} at intake, {small_later} after work; 1000-field form "
        f"({big_form} B): {big_intake} at intake, {big_later} after work"
    )
    assert big_form > 50 * small_form / 2
    assert abs(big_intake - small_intake) <= 64
    assert abs(big_later - small_later) <= 64


def test_state_is_stored_deflated_and_plain_json_state_still_loads(runtime):
    """Cases stored before the state was deflated keep moving."""
    import zlib

    from engine.process import kept

    from ..helpers import complete_a_ready_task, submit_case

    case_id = submit_case(runtime, "retirement")
    with runtime.uow() as uow:
        stored = uow.session.get(Case, case_id).workflow_state
    plain = zlib.decompress(stored)
    assert plain[:1] == b"{" and len(stored) * 3 < len(plain)
    with runtime.uow() as uow:
        uow.session.get(Case, case_id).workflow_state = plain  # as an older version wrote it
        uow.commit()
    kept.take(case_id, None)  # nothing kept: the next operation reads the stored state
    complete_a_ready_task(runtime, case_id, "retirement")
    with runtime.uow() as uow:
        moved = uow.session.get(Case, case_id)
        assert len([t for t in moved.tasks if t.state == "ready"]) > 1
        assert moved.workflow_state[:1] != b"{"


@pytest.mark.parametrize(
    "key", ["retirement", "open-restaurant", "property-transfer", "timer-escalation"]
)
def test_stored_task_tree_is_what_spiffs_own_converter_writes(runtime, monkeypatch, key):
    """The task tree is written and read back by our own loops (engine.workflow.state),
    not Spiff's registry: at every step of a shipped matter (and of one whose review
    waits on a boundary timer), from intake to the end, the dictionary must be the
    very one Spiff's converter would have written, and what is read back the very
    instance Spiff's would have restored."""
    from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter

    from engine.process import runner, state

    from ..helpers import complete_case

    converter = state._registry.convert_to_dict["BpmnWorkflow"].args[1].__self__
    compared = []

    def dump_and_compare(workflow):
        spiffs = WorkflowConverter.to_dict(converter, workflow)  # a registry call per task
        ours = converter.to_dict(workflow)
        assert {k: ours[k] for k in spiffs} == spiffs
        blob = state.dump_state(workflow)
        compared.append((len(spiffs["tasks"]), _loads_as_spiff_would(converter, workflow, blob)))
        return blob

    monkeypatch.setattr(runner, "dump_state", dump_and_compare)
    case_id = _submitted(runtime, key)
    complete_case(runtime, case_id, key, {} if key == "timer-escalation" else None)
    with runtime.uow() as uow:
        assert uow.session.get(Case, case_id).status == "completed"
    assert len(compared) >= 3 and max(tasks for tasks, _ in compared) > 5
    if key == "timer-escalation":
        assert any(waiting for _, waiting in compared)


def _submitted(runtime, key: str) -> int:
    """A case of a shipped matter, or of the test fixture whose review waits on a
    boundary timer (deployed first)."""
    from engine.services import deploy

    from ..helpers import submit_case, zip_bytes

    if key != "timer-escalation":
        return submit_case(runtime, key)
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / key
    with runtime.uow() as uow:
        deploy.deploy(uow, None, zip_bytes({p.name: p.read_bytes() for p in fixture.iterdir()}))
        uow.commit()
    return submit_case(runtime, key, {"subject": "排水许可"})


def _loads_as_spiff_would(converter, workflow, blob):
    """Read back by our loop and by Spiff's registry (`mapping_from_dict`, a restore
    per task): the same tree, task data, internal data and waiting events."""
    from engine.process import state

    spec, subprocess_specs = workflow.spec, workflow.subprocess_specs
    ours = state.load_state(blob, spec, subprocess_specs, workflow.script_engine)
    original = type(converter)._tasks_from_dict
    try:
        type(converter)._tasks_from_dict = lambda self, tasks, wf: self.mapping_from_dict(
            tasks, UUID, workflow=wf
        )
        spiffs = state.load_state(blob, spec, subprocess_specs, workflow.script_engine)
    finally:
        type(converter)._tasks_from_dict = original

    def seen(wf):
        return (
            converter.to_dict(wf),
            {
                tid: (t.data, t.internal_data, t.parent and t.parent.id, t.state, type(t).__name__)
                for tid, t in wf.tasks.items()
            },
            sorted(str(task_id) for task_id in wf.event_manager.tasks),
        )

    assert seen(ours) == seen(spiffs)
    assert seen(ours)[0] == converter.to_dict(workflow)
    assert seen(ours)[2] == sorted(str(t) for t in workflow.event_manager.tasks)
    return len(workflow.event_manager.tasks)  # events waited on (a timer), before and after


@pytest.mark.parametrize(
    "key", ["retirement", "open-restaurant", "property-transfer", "timer-escalation"]
)
def test_task_queries_are_spiffs_own_answers(runtime, monkeypatch, key):
    """engine.workflow.tree answers task queries by its own walk of the tree: at every
    step of a shipped matter (and of one waiting on a boundary timer), for every
    state and mask, manual or not, and every spec in the tree, the same tasks in the
    same order as Spiff's own get_tasks."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from engine.process import kept, runner
    from engine.process.tree import ProcessInstance

    from ..helpers import complete_case

    states = [
        TaskState.MAYBE,
        TaskState.LIKELY,
        TaskState.FUTURE,
        TaskState.WAITING,
        TaskState.READY,
        TaskState.STARTED,
        TaskState.COMPLETED,
        TaskState.CANCELLED,
        TaskState.PREDICTED_MASK,
        TaskState.DEFINITE_MASK,
        TaskState.FINISHED_MASK,
        TaskState.NOT_FINISHED_MASK,
        TaskState.ANY_MASK,
    ]
    compared = []
    dump_state = runner.dump_state

    def compare_and_dump(workflow):
        assert type(workflow) is ProcessInstance
        queries = (
            [{}]
            + [{"state": state} for state in states]
            + [{"state": state, "manual": manual} for state in states for manual in (True, False)]
        )
        queries += [
            {"spec_name": name} for name in {t.task_spec.name for t in workflow.tasks.values()}
        ]
        for query in queries:
            assert workflow.get_tasks(**query) == BpmnWorkflow.get_tasks(workflow, **query), query
        compared.append(len(workflow.get_tasks(state=TaskState.READY, manual=True)))
        return dump_state(workflow)

    monkeypatch.setattr(runner, "dump_state", compare_and_dump)
    case_id = _submitted(runtime, key)
    monkeypatch.setattr(kept, "take", lambda *_: None)  # every step reads the stored state
    complete_case(runtime, case_id, key, {} if key == "timer-escalation" else None)
    assert len(compared) >= 3 and compared[-1] == 0
    assert max(compared) > (1 if key != "timer-escalation" else 0)  # parallel branches
