"""An expression that fails on a case's data is a clear 422 and changes nothing."""

from __future__ import annotations

from ..helpers import Office, deploy, make_staff, package_files, progress, submit, task_output


def test_a_condition_failing_at_run_time_is_422_and_rolls_back(client):
    analyst = make_staff(client, "ana", [], roles=("analyst",))
    files = package_files("open-restaurant")
    files["open-restaurant.bpmn"] = files["open-restaurant.bpmn"].replace(
        b">signboard['needed']<", b">signboard['needed'] / 0 &gt; 1<"
    )
    assert deploy(analyst, files).status_code == 201
    office = Office(client, "open-restaurant")
    body = submit(client, "open-restaurant").get_json()
    ((dept, item),) = office.open_tasks(body["case_no"])
    member = office.staff[dept]
    assert member.post(f"/api/tasks/{item['id']}/claim").status_code == 200
    res = member.post(
        f"/api/tasks/{item['id']}/complete", {"data": task_output("open-restaurant", "accept")}
    )
    assert res.status_code == 422, res.get_json()
    problem = res.get_json()
    assert problem["title"] == "The process could not continue"
    assert "division by zero" in problem["detail"]
    state = progress(client, body["case_no"], body["query_code"])
    assert state["status"] == "submitted" and state["accepted_at"] is None
    assert [(s["task"], s["state"]) for s in state["steps"]] == [("accept", "claimed")]
