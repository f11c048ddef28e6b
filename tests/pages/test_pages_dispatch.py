"""Dispatch in a real browser (SPEC §7): a unit returns a task it was wrongly sent, the
dispatcher sends it on; a street summons two departments (吹哨报到)."""

from __future__ import annotations

import yaml

from ..helpers import admin, deploy, example_form, make_staff, submit, task_output
from .test_pages_case import login

KEY = "open-restaurant"


def _inspection_at_donghu(client) -> tuple[str, int]:
    """A high-risk restaurant in 东湖区: its on-site inspection dispatched to amr-donghu."""
    form = example_form(KEY)
    form["food"]["category"] = "cold_food"
    case_no = submit(client, KEY, form).get_json()["case_no"]
    amr = make_staff(client, "city-amr", ["amr"])
    for step in ("accept", "license_review"):
        task = next(t for t in amr.worklist() if t["task"] == step)
        res = amr.post(f"/api/tasks/{task['id']}/complete", {"data": task_output(KEY, step)})
        assert res.status_code == 200, res.get_json()
    task = next(t for t in admin(client).worklist() if t["task"] == "site_inspection")
    assert task["department"] == "amr-donghu"
    return case_no, task["id"]


def test_a_dispatcher_redispatches_a_returned_task(client, new_page, shots):
    case_no, task_id = _inspection_at_donghu(client)
    make_staff(client, "donghu-inspector", ["amr-donghu"])
    make_staff(client, "xishan-inspector", ["amr-xishan"])

    unit = new_page()
    login(unit, "donghu-inspector")
    unit.goto(f"/staff/cases/{case_no}/tasks/{task_id}")
    unit.wait_for_selector("#return-box:not([hidden])")
    unit.click("#return-box summary")
    unit.fill("#return-reason", "店址位于西山区，不属本所辖区")
    shots(unit, "30-dispatch-return")
    unit.click("#return")
    unit.wait_for_url("**/staff/")
    assert unit.js_errors == []

    dispatcher = new_page()
    login(dispatcher, "city-amr")
    dispatcher.select_option("#f-view", "returned")
    row = dispatcher.locator(f'#worklist tr[data-task-id="{task_id}"]')
    row.wait_for()
    assert "已退单1次" in row.inner_text()
    shots(dispatcher, "31-dispatch-returned-queue")
    dispatcher.goto(f"/staff/cases/{case_no}/tasks/{task_id}")
    dispatcher.wait_for_selector("#dispatch-box:not([hidden])")
    dispatcher.click("#dispatch-box summary")
    dispatcher.select_option("#dispatch-unit", "amr-xishan")
    dispatcher.fill("#dispatch-reason", "经核实，店址属西山区")
    shots(dispatcher, "32-dispatch-redispatch")
    dispatcher.click("#dispatch")
    dispatcher.wait_for_url("**/staff/")
    assert dispatcher.js_errors == []

    receiving = new_page()
    login(receiving, "xishan-inspector")
    receiving.locator(f'#worklist tr[data-task-id="{task_id}"]').wait_for()


STREET_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Definitions_street" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="street_issue" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="hub" name="中心"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="street" name="属地街道"><bpmn:flowNodeRef>handle</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="handle" name="街道处置"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle" />
    <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _street_case(client) -> tuple[str, int]:
    matter = {
        "key": "street-issue",
        "title": {"zh": "街道处置"},
        "process": {"file": "street.bpmn", "id": "street_issue"},
        "form": "form.json",
        "departments": {
            "hub": {"name": {"zh": "中心"}, "lead": True},
            "street": {"name": {"zh": "属地街道"}, "dispatch": "'donghu-hubin'"},
        },
    }
    files = {
        "matter.yaml": yaml.safe_dump(matter, allow_unicode=True).encode(),
        "form.json": b'{"type": "object", "properties": {"what": {"type": "string"}}}',
        "street.bpmn": STREET_BPMN.encode(),
    }
    res = deploy(admin(client), files)
    assert res.status_code == 201, res.get_json()
    case_no = submit(client, "street-issue", {"what": "楼道堆物堵塞消防通道"}).get_json()["case_no"]
    task = next(t for t in admin(client).worklist() if t["case_no"] == case_no)
    assert task["department"] == "donghu-hubin"
    return case_no, task["id"]


def test_a_street_summons_two_departments(client, new_page, shots):
    case_no, task_id = _street_case(client)
    make_staff(client, "hubin-worker", ["donghu-hubin"])
    make_staff(client, "fire-officer", ["fire"])

    street = new_page()
    login(street, "hubin-worker")
    street.goto(f"/staff/cases/{case_no}/tasks/{task_id}")
    street.wait_for_selector("#summon-box:not([hidden])")
    street.click("#claim")
    street.wait_for_selector('#task-state[data-state="claimed"]')
    street.click("#summon-box summary")
    street.fill("#summon-filter", "消防")
    street.check("#s-fire")
    street.fill("#summon-filter", "城市管理")
    street.check("#s-urban")
    street.fill("#summon-filter", "")
    street.fill("#summon-days", "1")
    street.fill("#summon-reason", "消防通道堵塞，需消防、城管联合处置")
    shots(street, "33-summon-choose")
    street.click("#summon")
    street.wait_for_selector('#assist-list li[data-assist="urban"]')
    assert street.locator("#assist-list li").count() == 2
    street.click("#complete")  # two assists still open: the server says which
    street.wait_for_selector("#task-message.error-box")
    assert "open assist tasks" in street.inner_text("#task-message")
    shots(street, "34-summon-assists-open")
    assert street.js_errors == []

    fire = new_page()
    login(fire, "fire-officer")
    fire.select_option("#f-view", "assist")
    row = fire.locator(f'#worklist tr[data-case="{case_no}"]')
    row.wait_for()
    assert "协办" in row.inner_text()
    row.locator("button[data-claim]").click()
    fire.wait_for_url("**/tasks/*")
    fire.wait_for_selector("#output-fields textarea, #output-fields input")
    fire.locator("#output-fields textarea, #output-fields input").first.fill(
        "已到场核查，通道已清理"
    )
    fire.click("#complete")
    fire.wait_for_selector('#task-state[data-state="completed"]')
    shots(fire, "35-summon-assist-done")
    assert fire.js_errors == []
