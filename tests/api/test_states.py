"""Wrong-state actions are 409s naming the state; ending a case cancels its work."""

from __future__ import annotations

from ..helpers import Office, make_staff, progress, submit


def _accepted(client, key="retirement"):
    office = Office(client, key)
    body = submit(client, key).get_json()
    ((dept, item),) = office.open_tasks(body["case_no"])
    office.work(dept, item)
    return office, body["case_no"], body["query_code"]


def test_completing_a_completed_task_is_409(client):
    office = Office(client, "retirement")
    case_no = submit(client, "retirement").get_json()["case_no"]
    ((dept, item),) = office.open_tasks(case_no)
    office.work(dept, item)
    res = office.staff[dept].post(f"/api/tasks/{item['id']}/complete", {"data": {}})
    assert res.status_code == 409 and "completed" in res.get_json()["detail"]


def test_a_task_claimed_by_someone_else_is_409(client):
    office = Office(client, "retirement")
    case_no = submit(client, "retirement").get_json()["case_no"]
    ((dept, item),) = office.open_tasks(case_no)
    colleague = make_staff(client, "colleague", [dept])
    assert office.staff[dept].post(f"/api/tasks/{item['id']}/claim").status_code == 200
    res = colleague.post(f"/api/tasks/{item['id']}/complete", {"data": {}})
    assert res.status_code == 409 and "claimed by" in res.get_json()["detail"]
    res = colleague.post(f"/api/tasks/{item['id']}/claim")
    assert res.status_code == 409 and "claimed" in res.get_json()["detail"]


def test_invalid_task_output_is_422_and_changes_nothing(client):
    office = Office(client, "retirement")
    case_no = submit(client, "retirement").get_json()["case_no"]
    ((dept, item),) = office.open_tasks(case_no)
    schema = (office.matter.get("tasks") or {}).get(item["task"], {}).get("form")
    if schema and schema.get("required"):
        res = office.staff[dept].post(f"/api/tasks/{item['id']}/complete", {"data": {}})
        assert res.status_code == 422
        assert office.open_tasks(case_no)[0][1]["state"] == "ready"
    res = office.staff[dept].post(f"/api/tasks/{item['id']}/complete", {"data": "nope"})
    assert res.status_code == 422


def test_applicant_cannot_supplement_or_rate_a_running_case(client):
    _, case_no, code = _accepted(client)
    res = client.post(
        f"/api/cases/{case_no}/supplement", query_string={"code": code}, json={"form": {}}
    )
    assert res.status_code == 409 and "in_progress" in res.get_json()["detail"]
    res = client.post(
        f"/api/cases/{case_no}/rating", query_string={"code": code}, json={"score": 4}
    )
    assert res.status_code == 409
    for score in (0, 6, "5", 4.5, None):
        res = client.post(
            f"/api/cases/{case_no}/rating", query_string={"code": code}, json={"score": score}
        )
        assert res.status_code == 422, score


def test_supplement_with_an_invalid_patch_is_422_and_keeps_waiting(client):
    office, case_no, code = _accepted(client)
    dept, item = office.open_tasks(case_no)[0]
    office.staff[dept].post(
        f"/api/tasks/{item['id']}/supplement", {"reason": "缺材料", "missing": ["其他"]}
    )
    form_schema = client.get("/api/matters/retirement").get_json()["form"]
    field = next(iter(form_schema["required"]))
    res = client.post(
        f"/api/cases/{case_no}/supplement",
        query_string={"code": code},
        json={"form": {field: None}},
    )
    assert res.status_code == 422 and f"form/{field}" in res.get_json()["errors"]
    assert progress(client, case_no, code)["status"] == "awaiting_supplement"


def test_withdraw_cancels_open_tasks_and_ends_the_case(client):
    office, case_no, code = _accepted(client)
    open_before = office.open_tasks(case_no)
    res = client.post(f"/api/cases/{case_no}/withdraw", query_string={"code": code}, json={})
    assert res.status_code == 200 and res.get_json()["status"] == "withdrawn"
    assert office.open_tasks(case_no) == []
    state = progress(client, case_no, code)
    assert all(s["state"] in ("completed", "cancelled") for s in state["steps"])
    dept, item = open_before[0]
    res = office.staff[dept].post(f"/api/tasks/{item['id']}/claim")
    assert res.status_code == 409
    again = client.post(f"/api/cases/{case_no}/withdraw", query_string={"code": code}, json={})
    assert again.status_code == 409
    assert (
        client.post(
            f"/api/cases/{case_no}/rating", query_string={"code": code}, json={"score": 2}
        ).status_code
        == 201
    )


def test_refusal_ends_the_case_with_the_reason_shown(client):
    office, case_no, code = _accepted(client)
    dept, item = office.open_tasks(case_no)[0]
    res = office.staff[dept].post(f"/api/tasks/{item['id']}/refuse", {"reason": "不符合条件"})
    assert res.status_code == 200 and res.get_json()["status"] == "refused"
    state = progress(client, case_no, code)
    assert state["status"] == "refused"
    assert "不符合条件" in state["timeline"][-1]["text"]
    res = office.staff[dept].post(f"/api/tasks/{item['id']}/refuse", {"reason": "again"})
    assert res.status_code == 409


def test_refuse_and_supplement_need_their_fields(client):
    office, case_no, _ = _accepted(client)
    dept, item = office.open_tasks(case_no)[0]
    member = office.staff[dept]
    assert member.post(f"/api/tasks/{item['id']}/refuse", {}).status_code == 422
    res = member.post(f"/api/tasks/{item['id']}/supplement", {"reason": "", "missing": []})
    assert res.status_code == 422 and {"reason", "missing"} <= set(res.get_json()["errors"])
    res = member.post(f"/api/tasks/{item['id']}/suspend", {"kind": "party", "reason": "x"})
    assert res.status_code == 422 and "kind" in res.get_json()["errors"]


def test_suspension_stops_the_clock_and_resume_moves_deadlines(client, clock):
    office, case_no, code = _accepted(client)
    before = progress(client, case_no, code)
    dept, item = office.open_tasks(case_no)[0]
    member = office.staff[dept]
    res = member.post(
        f"/api/tasks/{item['id']}/suspend", {"kind": "inspection", "reason": "现场核查"}
    )
    assert res.status_code == 200 and res.get_json()["status"] == "suspended"
    assert member.post(f"/api/tasks/{item['id']}/complete", {"data": {}}).status_code == 409
    clock.advance(days=7)
    office.relogin(client)
    member = office.staff[dept]
    res = member.post(f"/api/tasks/{item['id']}/resume")
    assert res.status_code == 200 and res.get_json()["status"] == "in_progress"
    after = progress(client, case_no, code)
    assert after["due_at"] > before["due_at"]
    assert member.post(f"/api/tasks/{item['id']}/resume").status_code == 409


def test_extension_needs_a_supervisor_and_a_reason(client):
    office, case_no, code = _accepted(client)
    before = progress(client, case_no, code)["due_at"]
    handler = office.staff[office.lead]
    res = handler.post(f"/api/cases/{case_no}/extend", {"workdays": 5, "reason": "复杂"})
    assert res.status_code == 403
    boss = make_staff(client, "boss", [office.lead], roles=("supervisor",))
    res = boss.post(f"/api/cases/{case_no}/extend", {"workdays": 0, "reason": ""})
    assert res.status_code == 422 and {"workdays", "reason"} <= set(res.get_json()["errors"])
    res = boss.post(f"/api/cases/{case_no}/extend", {"workdays": 5, "reason": "情况复杂"})
    assert res.status_code == 200, res.get_json()
    state = progress(client, case_no, code)
    assert state["due_at"] > before
    assert "延期" in state["timeline"][-1]["text"]


def test_diagram_marks_active_and_completed_tasks(client):
    office, case_no, _ = _accepted(client)
    res = office.staff[office.lead].get(f"/api/cases/{case_no}/diagram")
    assert res.status_code == 200
    body = res.get_json()
    assert body["bpmn_xml"].lstrip().startswith("<?xml") or "<bpmn" in body["bpmn_xml"][:500]
    assert office.matter.get("acceptance") in body["completed"]
    assert len(body["active"]) >= 2
