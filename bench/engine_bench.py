"""In-process engine cost (no HTTP): onething against plain SpiffWorkflow.

The naive baseline is what a straightforward host does: parse the BPMN once,
keep the form's fields in task data, and after every step save the whole
workflow with `BpmnWorkflowSerializer.serialize_json` into a row of the same
database (load it back before the next step). onething runs the same matter
through its engine functions (`submit_case`, `handling.complete`), one unit
of work per step, as the API does. Each driver learns the next ready task from
what it already has: naive from the workflow it loaded, onething from the case
the operation returned (neither reads it separately).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update

from engine.services.specs import files_to_zip

from . import seed

ROOT = Path(__file__).resolve().parent.parent
metadata = MetaData()
naive_table = Table(
    "bench_naive", metadata, Column("id", Integer, primary_key=True), Column("state", Text)
)


class Naive:
    """Plain SpiffWorkflow, persisted the straightforward way."""

    def __init__(
        self,
        engine,
        bpmn: dict[str, bytes],
        dmn: dict[str, bytes],
        process_id: str,
        form: dict,
        outputs: dict,
    ):
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.spiff.parser import SpiffBpmnParser
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

        parser = SpiffBpmnParser()
        for name, data in dmn.items():
            parser.add_dmn_str(data, filename=name)
        for name, data in bpmn.items():
            parser.add_bpmn_str(data, filename=name)
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.engine = engine
        metadata.create_all(engine)
        self.form, self.outputs = form, outputs
        self.last_state_bytes = 0

    @classmethod
    def shipped(cls, engine, key: str) -> "Naive":
        import yaml

        matter = yaml.safe_load((ROOT / "processes" / key / "matter.yaml").read_text("utf-8"))
        dmn = {n: (ROOT / "bpmn" / n).read_bytes() for n in matter.get("decisions") or []}
        bpmn = {matter["process"]["file"]: (ROOT / "bpmn" / matter["process"]["file"]).read_bytes()}
        return cls(
            engine,
            bpmn,
            dmn,
            matter["process"]["id"],
            seed.example_form(key),
            seed.example_outputs(key),
        )

    def run_case(self) -> int:
        """One case from intake to completion; returns the number of user tasks."""
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(self.form)
        workflow.do_engine_steps()
        with self.engine.begin() as conn:
            row_id = conn.execute(
                insert(naive_table)
                .values(state=self.serializer.serialize_json(workflow))
                .returning(naive_table.c.id)
            ).scalar_one()
        steps = 0
        while True:
            with self.engine.begin() as conn:
                blob = conn.execute(
                    select(naive_table.c.state).where(naive_table.c.id == row_id)
                ).scalar_one()
            workflow = self.serializer.deserialize_json(blob)
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                self.last_state_bytes = len(blob.encode())
                return steps
            task = ready[0]
            task.data[task.task_spec.bpmn_id] = self.outputs[task.task_spec.bpmn_id]
            task.run()
            workflow.do_engine_steps()
            with self.engine.begin() as conn:
                conn.execute(
                    update(naive_table)
                    .where(naive_table.c.id == row_id)
                    .values(state=self.serializer.serialize_json(workflow))
                )
            steps += 1


def onething_case(runtime, key: str, form: dict | None, outputs: dict) -> int:
    case_id, ready = seed.submitted(runtime, key, form)
    return seed.drive(runtime, outputs, case_id, ready)


def _compare(
    runtime, naive: Naive, key: str, form: dict | None, outputs: dict, cases: int, repeats: int
) -> dict:
    """Median seconds per case (wall and CPU of this process) for both engines.

    Each repeat runs `cases` cases of one engine, then of the other (which goes
    first alternates), so that both see much the same machine, whose speed swings
    from one second to the next, and each runs as it would in a process of its
    own, with its own working set warm (case by case turns made each pay for
    the other's); the median is over the repeats."""
    naive.run_case()  # warm both
    onething_case(runtime, key, form, outputs)
    engines = {
        "naive": naive.run_case,
        "onething": lambda: onething_case(runtime, key, form, outputs),
    }
    runs = {"naive": [], "onething": [], "naive_cpu": [], "onething_cpu": []}
    steps = {}
    for repeat in range(repeats):
        for name in ("naive", "onething") if repeat % 2 == 0 else ("onething", "naive"):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for _ in range(cases):
                steps[name] = engines[name]()
            runs[name].append((time.perf_counter() - wall0) / cases)
            runs[f"{name}_cpu"].append((time.process_time() - cpu0) / cases)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "matter": key,
        "cases_per_run": cases,
        "repeats": repeats,
        "user_tasks_per_case": steps,
        "naive_s_per_case": med["naive"],
        "onething_s_per_case": med["onething"],
        "naive_cpu_s_per_case": med["naive_cpu"],
        "onething_cpu_s_per_case": med["onething_cpu"],
        "ratio": med["onething"] / med["naive"],
        "cpu_ratio": med["onething_cpu"] / med["naive_cpu"],
        "naive_state_bytes": naive.last_state_bytes,
        "repeats_ms": {k: [round(v * 1e3, 2) for v in runs[k]] for k in runs},
    }


def measure(runtime, key: str, cases: int, repeats: int) -> dict:
    """A shipped matter with its example form."""
    naive = Naive.shipped(runtime.engine, key)
    return _compare(runtime, naive, key, None, seed.example_outputs(key), cases, repeats)


WIDE_OUTPUTS = {"accept": {"opinion": "ok"}, "review_a": {"ok": True}, "review_b": {"ok": True}}


def wide_form(fields: int) -> dict:
    return {f"f{i}": f"value of field {i}" for i in range(fields)}


def deploy_wide(runtime, fields: int) -> str:
    from engine.errors import NotFound
    from engine.services import catalogue

    key = f"bench-wide-{fields}"
    try:
        return catalogue.matter(runtime, key)["key"]
    except NotFound:
        return catalogue.deploy_package(runtime, None, files_to_zip(wide_package(fields)))["key"]


def measure_wide(runtime, fields: int, cases: int, repeats: int) -> dict:
    """The same comparison where the form is large: a 1,000-field form on a
    three-task process (acceptance, two parallel reviews)."""
    key = deploy_wide(runtime, fields)
    files = wide_package(fields)
    naive = Naive(
        runtime.engine,
        {"wide.bpmn": files["wide.bpmn"]},
        {},
        "wide_form",
        wide_form(fields),
        WIDE_OUTPUTS,
    )
    result = _compare(runtime, naive, key, wide_form(fields), WIDE_OUTPUTS, cases, repeats)
    result["form_fields"] = fields
    return result


# -- stored bytes per case, 10 vs 1,000 form fields ---------------------------------

_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Definitions_wide" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="wide_form" name="wide form" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="office" name="窗口">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>accept</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fork</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>join</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="other" name="协同部门">
        <bpmn:flowNodeRef>review_a</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review_b</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="accept" name="受理"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="review_a" name="审查甲"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="review_b" name="审查乙"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept" />
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="fork" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="review_a" />
    <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="review_b" />
    <bpmn:sequenceFlow id="f5" sourceRef="review_a" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="review_b" targetRef="join" />
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def wide_package(fields: int) -> dict[str, bytes]:
    import json

    key = f"bench-wide-{fields}"
    matter = (
        f"key: {key}\ntitle: {{zh: 宽表单{fields}, en: Wide form {fields}}}\n"
        "process: {file: wide.bpmn, id: wide_form}\nform: form.json\ncalendar: CN\n"
        "acceptance: accept\ndeadline:\n  promised: {workdays: 5}\n"
        "departments:\n  office: {name: {zh: 窗口}, lead: true}\n"
        "  other: {name: {zh: 协同部门}}\n"
    )
    form = {
        "type": "object",
        "required": [f"f{i}" for i in range(fields)],
        "properties": {f"f{i}": {"type": "string", "maxLength": 100} for i in range(fields)},
    }
    return {
        "matter.yaml": matter.encode(),
        "form.json": json.dumps(form).encode(),
        "wide.bpmn": _BPMN.encode(),
    }


def _sizes(engine, case_ids: list[int]) -> dict:
    from sqlalchemy import text

    ids = ",".join(str(i) for i in case_ids)
    postgres = engine.dialect.name == "postgresql"
    out = {}
    with engine.connect() as conn:
        for table, where in (
            ("case", f"id IN ({ids})"),
            ("task", f"case_id IN ({ids})"),
            ("event", f"case_id IN ({ids})"),
        ):
            if postgres:
                sql = f'SELECT coalesce(sum(pg_column_size(x.*)), 0) FROM "{table}" x WHERE {where}'
            else:
                cols = [r[1] for r in conn.execute(text(f'PRAGMA table_info("{table}")'))]
                length = " + ".join(f'coalesce(length(x."{c}"), 0)' for c in cols)
                sql = f'SELECT coalesce(sum({length}), 0) FROM "{table}" x WHERE {where}'
            out[table] = conn.execute(text(sql)).scalar_one() / len(case_ids)
        form, state = conn.execute(
            text(
                f"SELECT avg(length(CAST(form AS TEXT))), avg(length(workflow_state)) "
                f'FROM "case" WHERE id IN ({ids})'
            )
        ).one()
    out["form_json"], out["workflow_state"] = float(form), float(state)
    return out


def stored_bytes(runtime, fields_list=(10, 1000), cases: int = 20) -> dict:
    """Bytes stored per case (row sizes, TOAST-compressed on PostgreSQL) after the case
    has run to completion, for forms of 10 and 1,000 fields."""
    results = {}
    for fields in fields_list:
        key = deploy_wide(runtime, fields)
        form = wide_form(fields)
        ids = []
        for _ in range(cases):
            case_id, ready = seed.submitted(runtime, key, form)
            seed.drive(runtime, WIDE_OUTPUTS, case_id, ready)
            ids.append(case_id)
        sizes = _sizes(runtime.engine, ids)
        sizes["total"] = sizes["case"] + sizes["task"] + sizes["event"]
        results[fields] = sizes
    return results


def median(values):
    return statistics.median(values) if values else None
