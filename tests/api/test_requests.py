"""接诉即办 over HTTP (SPEC §8): a request from intake to its place in the month's ranking,
a reopened one, answered at once, duplicates, the caller's own visit, and bad input."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

from ..helpers import ROOT, admin, make_staff

EXAMPLE = json.loads((ROOT / "processes" / "hotline" / "example-form.json").read_text("utf-8"))
PERIOD = "2026-11"  # the suite's clock: Monday 2026-11-23


def _body(**changes) -> dict:
    body = copy.deepcopy(EXAMPLE)
    body["caller"] = {"name": "李女士", "phone": "13912345678"}
    for key, value in changes.items():
        body[key] = value
    return body


@pytest.fixture
def line(client):
    """The 12345 centre (an agent, a visitor), a street, two departments, a supervisor."""
    return {
        "agent": make_staff(client, "agent-1", ["center-12345"], roles=("agent",)),
        "centre": make_staff(client, "centre-1", ["center-12345"]),
        "street": make_staff(client, "hubin-1", ["donghu-hubin"]),
        "qingshan": make_staff(client, "qingshan-1", ["donghu-qingshan"]),
        "fire": make_staff(client, "fire-1", ["fire"]),
        "urban": make_staff(client, "urban-1", ["urban"]),
        "leader": make_staff(client, "leader-1", ["yunhai"], roles=("supervisor",)),
    }


def _intake(line, **changes) -> dict:
    res = line["agent"].post("/api/requests", _body(**changes))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def _task(member, case_no: str, **query) -> dict:
    found = [t for t in member.worklist(**query) if t["case_no"] == case_no]
    assert len(found) == 1, member.worklist(**query)
    return found[0]


def _ok(res, status=200):
    assert res.status_code == status, res.get_json()
    return res.get_json()


def _reply(member, task, resolved=True):
    _ok(member.post(f"/api/tasks/{task['id']}/claim"))
    return _ok(
        member.post(
            f"/api/tasks/{task['id']}/complete",
            {
                "data": {
                    "reply": "已联系物业清理楼道杂物",
                    "contacted_at": "2026-11-23T03:00:00+00:00",
                    "resolved": resolved,
                }
            },
        )
    )


def _visit(member, case_no, **answers):
    task = _task(member, case_no)
    _ok(member.post(f"/api/tasks/{task['id']}/claim"))
    return member.post(
        f"/api/tasks/{task['id']}/complete",
        {"data": {"contacted": True, "resolved": True, "satisfaction": "satisfied", **answers}},
    )


def test_a_request_from_the_phone_to_the_months_ranking(client, line):
    receipt = _intake(line)
    case_no = receipt["case_no"]
    assert receipt["status"] == "in_progress" and receipt["query_code"]
    # dispatched by the routing table to the street where it happened
    task = _task(line["street"], case_no)
    assert (task["department"], task["lane"], task["dispatcher"]) == (
        "donghu-hubin",
        "unit",
        "center-12345",
    )
    assert task["due_at"].startswith("2026-11-23T04:00")  # to be signed within 2 working hours
    # returned once, re-dispatched by the centre
    _ok(line["street"].post(f"/api/tasks/{task['id']}/return", {"reason": "属青山街道"}))
    _ok(
        line["centre"].post(
            f"/api/tasks/{task['id']}/dispatch",
            {"department": "donghu-hubin", "reason": "经核实属湖滨街道"},
        )
    )
    task = _task(line["street"], case_no)
    assert task["returns"] == 1
    # signed for: from now the card follows the resolve deadline (7 working days)
    signed = _ok(line["street"].post(f"/api/tasks/{task['id']}/claim"))
    assert signed["due_at"] > task["due_at"]
    # the street blows the whistle; two departments report
    assists = _ok(
        line["street"].post(
            f"/api/tasks/{task['id']}/summon",
            {
                "departments": ["fire", "urban"],
                "reason": "楼道堵塞需消防、城管联合处置",
                "due": {"workdays": 1},
            },
        ),
        201,
    )
    for assist in assists:
        member = line[assist["department"]]
        _ok(member.post(f"/api/tasks/{assist['id']}/complete", {"data": {"opinion": "已到场"}}))
    _ok(
        line["street"].post(
            f"/api/tasks/{task['id']}/complete",
            {
                "data": {
                    "reply": "已联系物业清理，并张贴禁止堆物告示",
                    "contacted_at": "2026-11-23T03:00:00+00:00",
                    "resolved": True,
                }
            },
        )
    )
    # the caller sees the reply; the centre visits
    progress = client.get(
        f"/api/cases/{case_no}/progress", query_string={"code": receipt["query_code"]}
    ).get_json()
    print("PROGRESS", progress["request"], [(s["task"], s["state"]) for s in progress["steps"]])
    assert progress["request"]["reply"].startswith("已联系物业")
    _ok(_visit(line["centre"], case_no))
    progress = client.get(
        f"/api/cases/{case_no}/progress", query_string={"code": receipt["query_code"]}
    ).get_json()
    assert progress["status"] == "completed"
    # counted in the month's rates, and ranked
    ranking = _ok(
        line["leader"].get(
            "/api/rankings", query_string={"kind": "request", "level": "street", "period": PERIOD}
        )
    )
    row = next(r for r in ranking["rows"] if r["unit"] == "donghu-hubin")
    assert (
        row["visited"],
        row["response_rate"],
        row["resolution_rate"],
        row["satisfaction_rate"],
        row["score"],
        row["rank"],
    ) == (1, 1.0, 1.0, 1.0, 100.0, 1)
    assert ranking["previous_period"] == "2026-10" and row["previous_rank"] is None


def test_an_unsatisfied_request_is_reopened_at_most_twice_and_counted_once(client, line):
    case_no = _intake(line)["case_no"]
    _reply(line["street"], _task(line["street"], case_no), resolved=False)
    _ok(
        _visit(
            line["centre"],
            case_no,
            resolved=False,
            satisfaction="unsatisfied",
            reopen=True,
            reopen_to="donghu-qingshan",
            reason="问题未解决，改由青山街道办理",
        )
    )
    task = _task(line["qingshan"], case_no)  # reopened to another unit
    _reply(line["qingshan"], task, resolved=False)
    _ok(_visit(line["centre"], case_no, resolved=False, satisfaction="unsatisfied", reopen=True))
    _reply(line["qingshan"], _task(line["qingshan"], case_no), resolved=False)
    third = _visit(line["centre"], case_no, resolved=False, satisfaction="unsatisfied", reopen=True)
    assert third.status_code == 422 and "data/reopen" in third.get_json()["errors"]
    _ok(
        line["centre"].post(
            f"/api/tasks/{_task(line['centre'], case_no)['id']}/complete",
            {"data": {"contacted": True, "resolved": False, "satisfaction": "basically"}},
        )
    )
    ranking = _ok(
        line["leader"].get("/api/rankings", query_string={"level": "street", "period": PERIOD})
    )
    counted = {r["unit"]: r for r in ranking["rows"]}
    assert counted["donghu-qingshan"]["visited"] == 1  # its last visit only
    assert counted["donghu-qingshan"]["satisfaction_rate"] == 0.8
    assert "donghu-hubin" not in counted or counted["donghu-hubin"]["visited"] == 0


def test_a_consultation_is_answered_at_once(client, line):
    receipt = _intake(
        line,
        type="consultation",
        category="1201",
        title="居住证办理需要什么材料",
        content="咨询居住证办理材料",
    )
    res = line["agent"].post(
        f"/api/requests/{receipt['case_no']}/answer",
        {"reply": "携带身份证、租赁合同到社区服务站办理"},
    )
    assert _ok(res)["status"] == "answered"
    assert line["street"].worklist() == []  # dispatched to no one
    complaint = _intake(line)
    res = line["agent"].post(f"/api/requests/{complaint['case_no']}/answer", {"reply": "x"})
    assert res.status_code == 422 and "type" in res.get_json()["errors"]


def test_duplicates_are_found_by_phone_and_linked(client, line):
    first = _intake(line)["case_no"]
    second = _intake(line, title="楼道杂物还没清理")["case_no"]
    found = _ok(line["agent"].get("/api/requests", query_string={"phone": "13912345678"}))
    assert {r["case_no"] for r in found} == {first, second}
    assert _ok(line["agent"].post(f"/api/requests/{second}/link", {"to": first}))["linked_to"]
    assert len([t for t in line["street"].worklist() if t["case_no"] == second]) == 0
    res = line["agent"].post(f"/api/requests/{first}/link", {"to": first})
    assert res.status_code == 422 and "to" in res.get_json()["errors"]
    # the primary's reply and visit close the linked one too
    _reply(line["street"], _task(line["street"], first))
    _ok(_visit(line["centre"], first))
    state = admin(client).get(f"/api/cases/{second}").get_json()
    assert state["status"] == "completed"
    third = _intake(line)["case_no"]
    res = line["agent"].post(f"/api/requests/{third}/link", {"to": first})
    assert res.status_code == 422 and "closed" in res.get_json()["errors"]["to"][0]


def test_the_caller_visits_online_with_his_code(client, line):
    receipt = _intake(line)
    code, case_no = receipt["query_code"], receipt["case_no"]
    early = client.post(
        f"/api/requests/{case_no}/visit",
        query_string={"code": code},
        json={"contacted": True, "resolved": True, "satisfaction": "satisfied"},
    )
    assert early.status_code == 409  # not replied yet
    _reply(line["street"], _task(line["street"], case_no))
    wrong = client.post(
        f"/api/requests/{case_no}/visit",
        query_string={"code": "WRONG"},
        json={"contacted": True, "resolved": True, "satisfaction": "satisfied"},
    )
    assert wrong.status_code == 404
    res = client.post(
        f"/api/requests/{case_no}/visit",
        query_string={"code": code},
        json={"contacted": True, "resolved": True, "satisfaction": "basically"},
    )
    assert _ok(res)["status"] == "completed"


def test_a_caller_on_the_web_needs_no_token(client, line):
    body = _body(channel="web")
    res = client.post("/api/requests", json=body)
    assert res.status_code == 201, res.get_json()
    res = client.post("/api/requests", json=_body(channel="phone"))
    assert res.status_code == 422 and "channel" in res.get_json()["errors"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"caller": {"name": "无电话"}}, "caller/phone"),
        ({"category": "9999"}, "category"),
        ({"location": {"address": "火星", "region": "110101001"}}, "location/region"),
        ({"type": "gossip"}, "type"),
        ({"urgency": "whenever"}, "urgency"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_requests_name_the_problem_and_write_nothing(client, line, change, field):
    res = line["agent"].post("/api/requests", _body(**change))
    assert res.status_code == 422 and field in res.get_json()["errors"], res.get_json()
    assert _ok(line["agent"].get("/api/requests", query_string={"region": "9"})) == []


def test_hot_spots_by_category_and_region(client, line, clock):
    now = clock.now()
    clock.set(datetime(2026, 10, 20, 2, 0, tzinfo=timezone.utc))
    _intake(line)  # one in October: November's three are up 200 %
    clock.set(now)
    for _ in range(3):
        _intake(line)
    _intake(
        line,
        category="0401",
        title="夜间施工噪声",
        location={"address": "云海市西山区松林路8号", "region": "990105002001"},
    )
    spots = _ok(
        line["leader"].get(
            "/api/requests/hotspots", query_string={"period": PERIOD, "by": "category"}
        )
    )
    assert [(r["code"], r["count"]) for r in spots["rows"]] == [("01", 3), ("04", 1)]
    top = spots["rows"][0]
    assert top["name"]["zh"] == "住房与物业" and (top["previous"], top["change"]) == (1, 2.0)
    assert top["rising"] and not top["persistent"]
    deeper = _ok(
        line["leader"].get(
            "/api/requests/hotspots",
            query_string={"period": PERIOD, "by": "region", "within": "990102"},
        )
    )
    assert [(r["code"], r["count"]) for r in deeper["rows"]] == [("990102001", 3)]
    assert deeper["rows"][0]["name"]["zh"] == "湖滨街道办事处"
    for bad in ({"period": "2027-01"}, {"period": "2026-13"}, {"period": PERIOD, "by": "x"}):
        res = line["leader"].get("/api/requests/hotspots", query_string=bad)
        assert res.status_code == 422, bad
