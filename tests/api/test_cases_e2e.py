"""A whole case of each shipped matter through the real HTTP API:
intake → acceptance → parallel departments → 补正 round trip → completion →
progress → rating."""

from __future__ import annotations

import pytest

from ..helpers import MATTERS, Office, progress, submit


def _accept(office: Office, case_no: str):
    ((dept, item),) = office.open_tasks(case_no)
    assert dept == office.lead
    assert item["task"] == office.matter.get("acceptance", item["task"])
    return office.work(dept, item)


@pytest.mark.parametrize("key", MATTERS)
def test_whole_case(client, clock, key):
    office = Office(client, key)
    intake = submit(client, key).get_json()
    case_no, code = intake["case_no"], intake["query_code"]

    _accept(office, case_no)
    state = progress(client, case_no, code)
    assert state["status"] == "in_progress" and state["accepted_at"] and state["due_at"]

    parallel = office.open_tasks(case_no)
    assert len({dept for dept, _ in parallel}) >= 2, parallel

    # 补正: the first parallel department asks for a material; the clock stops
    dept, item = parallel[0]
    material = office.matter["materials"][0]["id"]
    res = office.staff[dept].post(
        f"/api/tasks/{item['id']}/supplement",
        {"reason": "材料不全", "missing": [material, "身份证复印件"]},
    )
    assert res.status_code == 200, res.get_json()
    state = progress(client, case_no, code)
    assert state["status"] == "awaiting_supplement" and state["clock_stopped"]
    assert [m["id"] for m in state["missing_materials"]] == [material, None]
    blocked = office.staff[dept].post(f"/api/tasks/{item['id']}/claim")
    assert blocked.status_code == 409 and "awaiting_supplement" in blocked.get_json()["detail"]

    clock.advance(days=3)
    office.relogin(client)
    res = client.post(
        f"/api/cases/{case_no}/supplement",
        query_string={"code": code},
        json={"form": {}, "note": "已补充租赁合同"},
    )
    assert res.status_code == 200, res.get_json()
    state = progress(client, case_no, code)
    assert state["status"] == "in_progress" and not state["clock_stopped"]
    assert state["missing_materials"] == []

    # every department works its tasks until the process ends
    for _ in range(20):
        open_tasks = office.open_tasks(case_no)
        if not open_tasks:
            break
        for dept, item in open_tasks:
            office.work(dept, item)
    state = progress(client, case_no, code)
    assert state["status"] == "completed", state
    assert state["completed_at"] and state["on_time"] is True
    # one combined result: every unit that worked the case, with what it produced
    assert set(state["results"]) == {step["department"] for step in state["steps"]}
    assert all(s["state"] == "completed" for s in state["steps"])
    kinds = [t["kind"] for t in state["timeline"]]
    for kind in ("submitted", "accepted", "supplement_requested", "supplemented", "completed"):
        assert kind in kinds

    res = client.post(
        f"/api/cases/{case_no}/rating",
        query_string={"code": code},
        json={"score": 5, "comment": "一次办好"},
    )
    assert res.status_code == 201, res.get_json()
    again = client.post(
        f"/api/cases/{case_no}/rating", query_string={"code": code}, json={"score": 1}
    )
    assert again.status_code == 409
    assert progress(client, case_no, code)["rating"]["score"] == 5
