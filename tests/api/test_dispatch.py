"""Run-time dispatch (SPEC §7) over HTTP: the shipped open-restaurant sends its on-site
inspection to the district office of the shop; return, re-dispatch, dispute, summon."""

from __future__ import annotations

import pytest
import yaml

from ..helpers import admin, deploy, example_form, make_staff, package_files, submit, task_output

KEY = "open-restaurant"


def _high_risk(district: str = "东湖区") -> dict:
    """A cold-food shop: high risk, so the on-site inspection is needed."""
    form = example_form(KEY)
    form["food"]["category"] = "cold_food"
    form["shop"]["district"] = district
    return form


@pytest.fixture
def city(client):
    """The units of the sample city that work an open-restaurant case."""
    staff = {
        key: make_staff(client, f"h-{key}", [key])
        for key in ("amr", "amr-donghu", "amr-xishan", "fire", "urban", "eco", "tax")
    }
    staff["amr-boss"] = make_staff(client, "amr-boss", ["amr"], roles=("supervisor",))
    return staff


def _inspection(client, city, district: str = "东湖区") -> tuple[str, dict]:
    """A case accepted by the city AMR; its on-site inspection task, wherever it went."""
    case_no = submit(client, KEY, _high_risk(district)).get_json()["case_no"]
    for step in ("accept", "license_review"):  # the inspection follows the licence review
        task = next(t for t in city["amr"].worklist() if t["task"] == step)
        res = city["amr"].post(
            f"/api/tasks/{task['id']}/complete", {"data": task_output(KEY, step)}
        )
        assert res.status_code == 200, res.get_json()
    found = [
        t
        for t in admin(client).worklist()
        if t["task"] == "site_inspection" and t["case_no"] == case_no
    ]
    assert len(found) == 1
    return case_no, found[0]


def _history(client, case_no: str) -> list[dict]:
    return admin(client).get(f"/api/cases/{case_no}").get_json()["history"]


def test_the_inspection_goes_to_the_district_office_of_the_shop(client, city):
    case_no, task = _inspection(client, city, "西山区")
    assert (task["department"], task["lane"]) == ("amr-xishan", "amr_local")
    assert task["dispatcher"] == "amr" and task["returns"] == 0
    assert [t["task"] for t in city["amr-xishan"].worklist()] == ["site_inspection"]
    assert city["amr-donghu"].worklist() == []
    dispatched = [e for e in _history(client, case_no) if e["kind"] == "task_dispatched"]
    assert dispatched[0]["new"] == {"lane": "amr_local", "department": "amr-xishan"}
    res = city["amr-xishan"].post(
        f"/api/tasks/{task['id']}/complete", {"data": task_output(KEY, "site_inspection")}
    )
    assert res.status_code == 200, res.get_json()


def test_a_task_that_cannot_be_dispatched_waits_with_the_dispatcher(client, city):
    case_no, task = _inspection(client, city, "北湖区")  # no such district in the city
    assert task["department"] == "amr" and "gave no unit" in task["dispatch_failed"]
    assert [e["kind"] for e in _history(client, case_no)].count("dispatch_failed") == 1
    res = city["amr"].post(
        f"/api/tasks/{task['id']}/dispatch",
        {"department": "amr-xishan", "reason": "店址实属西山区"},
    )
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["department"] == "amr-xishan"


def test_return_redispatch_and_a_dispute_decided_by_a_supervisor(client, city, clock):
    case_no, task = _inspection(client, city)
    due = task["due_at"]
    res = city["amr-donghu"].post(f"/api/tasks/{task['id']}/return", {"reason": "不在辖区"})
    assert res.status_code == 200, res.get_json()
    back = res.get_json()
    assert (back["department"], back["returns"], back["disputed"]) == ("amr", 1, False)
    assert back["due_at"] == due  # the task's own deadline runs on across a return
    assert [t["id"] for t in city["amr"].worklist(returned="true")] == [task["id"]]
    res = city["amr"].post(
        f"/api/tasks/{task['id']}/dispatch", {"department": "amr-xishan", "reason": "改派西山"}
    )
    assert res.status_code == 200, res.get_json()
    res = city["amr-xishan"].post(f"/api/tasks/{task['id']}/return", {"reason": "也不在辖区"})
    assert res.get_json()["disputed"] is True
    res = city["amr"].post(
        f"/api/tasks/{task['id']}/dispatch", {"department": "amr-donghu", "reason": "x"}
    )
    assert res.status_code == 403  # a dispute is the supervisors' to decide
    assert [t["id"] for t in city["amr-boss"].worklist(disputed="true")] == [task["id"]]
    res = city["amr-boss"].post(
        f"/api/tasks/{task['id']}/dispatch",
        {"department": "amr-donghu", "reason": "经核实属东湖", "restart_clock": True},
    )
    assert res.status_code == 200, res.get_json()
    decided = res.get_json()
    assert (decided["department"], decided["disputed"]) == ("amr-donghu", False)
    kinds = [e["kind"] for e in _history(client, case_no)]
    for kind in ("task_returned", "dispute_opened", "dispute_decided"):
        assert kind in kinds


def test_a_return_after_the_window_is_a_conflict_that_changes_nothing(client, city, clock):
    _case_no, task = _inspection(client, city)
    clock.advance(hours=4)  # Monday 10:00 + 4 h: past 2 working hours
    res = city["amr-donghu"].post(f"/api/tasks/{task['id']}/return", {"reason": "晚了"})
    assert res.status_code == 409 and "return window closed" in res.get_json()["detail"]
    assert [t["id"] for t in city["amr-donghu"].worklist()] == [task["id"]]


def test_only_the_dispatcher_dispatches(client, city):
    _case_no, task = _inspection(client, city)
    city["amr-donghu"].post(f"/api/tasks/{task['id']}/return", {"reason": "不在辖区"})
    for member in ("fire", "amr-donghu", "amr-xishan"):
        res = city[member].post(
            f"/api/tasks/{task['id']}/dispatch", {"department": "amr-xishan", "reason": "x"}
        )
        assert res.status_code == 404, (member, res.get_json())
    res = city["amr"].post(
        f"/api/tasks/{task['id']}/dispatch", {"department": "nowhere", "reason": "x"}
    )
    assert res.status_code == 422 and "department" in res.get_json()["errors"]


def test_a_task_of_a_lane_of_its_own_cannot_be_returned(client, city):
    submit(client, KEY, _high_risk())
    accept = city["amr"].worklist()[0]
    res = city["amr"].post(f"/api/tasks/{accept['id']}/return", {"reason": "x"})
    assert res.status_code == 409 and "not dispatched" in res.get_json()["detail"]


def test_summon_opens_assist_tasks_that_hold_the_summoning_task(client, city):
    case_no, task = _inspection(client, city)
    inspector = city["amr-donghu"]
    for body, field in (
        ({"departments": ["amr-donghu"], "reason": "x", "due": {"workdays": 2}}, "departments/0"),
        ({"departments": ["nowhere"], "reason": "x", "due": {"workdays": 2}}, "departments/0"),
        ({"departments": ["fire"], "reason": "x", "due": {"weeks": 2}}, "due"),
        ({"departments": [], "reason": "x", "due": {"workdays": 2}}, "departments"),
    ):
        res = inspector.post(f"/api/tasks/{task['id']}/summon", body)
        assert res.status_code == 422 and field in res.get_json()["errors"], res.get_json()
    assert city["fire"].worklist(kind="assist") == []  # nothing made by a refused summon
    res = inspector.post(
        f"/api/tasks/{task['id']}/summon",
        {
            "departments": ["fire", "urban"],
            "reason": "后厨消防与油烟需会商",
            "due": {"workdays": 1},
        },
    )
    assert res.status_code == 201, res.get_json()
    assists = res.get_json()
    assert [(a["department"], a["kind"], a["parent_id"]) for a in assists] == [
        ("fire", "assist", task["id"]),
        ("urban", "assist", task["id"]),
    ]
    res = inspector.post(
        f"/api/tasks/{task['id']}/complete", {"data": task_output(KEY, "site_inspection")}
    )
    assert res.status_code == 409 and "open assist tasks" in res.get_json()["detail"]
    assert len(res.get_json()["errors"]["assists"]) == 2
    for assist in assists:
        member = city[assist["department"]]
        assert [t["id"] for t in member.worklist(kind="assist")] == [assist["id"]]
        bad = member.post(f"/api/tasks/{assist['id']}/complete", {"data": {}})
        assert bad.status_code == 422
        res = member.post(f"/api/tasks/{assist['id']}/complete", {"data": {"opinion": "已会商"}})
        assert res.status_code == 200, res.get_json()
    res = inspector.post(
        f"/api/tasks/{task['id']}/complete", {"data": task_output(KEY, "site_inspection")}
    )
    assert res.status_code == 200, res.get_json()
    kinds = [e["kind"] for e in _history(client, case_no)]
    assert kinds.count("summoned") == 1 and kinds.count("assist_completed") == 2


def test_a_dispatched_lane_is_checked_at_deploy(client):

    files = package_files(KEY)
    matter = yaml.safe_load(files["matter.yaml"])
    matter["departments"]["amr_local"]["dispatch"] = "__import__('os')"
    matter["departments"]["amr_local"]["dispatcher"] = "amr_local"
    matter["departments"]["fire"]["dispatcher"] = "amr"
    files["matter.yaml"] = yaml.safe_dump(matter, allow_unicode=True).encode()
    res = deploy(admin(client), files)
    assert res.status_code == 422
    errors = res.get_json()["errors"]
    assert {
        "matter.yaml#departments.amr_local.dispatch",
        "matter.yaml#departments.amr_local.dispatcher",
        "matter.yaml#departments.fire.dispatcher",
    } <= set(errors), errors
