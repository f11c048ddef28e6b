"""The organisation over HTTP (SPEC §7): the sample city, units added, renamed, moved and
deactivated by an admin, the supervisor's view of the units below, routing tables."""

from __future__ import annotations

import pytest

from ..helpers import admin, make_staff, submit

SAMPLE_STREETS = 7


def _units(client, **query) -> list[dict]:
    res = client.get("/api/departments", query_string=query)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def test_the_sample_city_is_loaded_on_first_start(client):
    everything = {u["key"]: u for u in _units(client)}
    city = everything["yunhai"]
    assert city["kind"] == "government" and city["parent"] is None
    departments = [
        u for u in everything.values() if u["kind"] == "department" and u["parent"] == "yunhai"
    ]
    assert len(departments) >= 6
    districts = _units(client, parent="yunhai", kind="government")
    assert [d["key"] for d in districts] == ["donghu", "nangang", "xishan"]
    for district in districts:
        offices = [u for u in _units(client, parent=district["key"]) if u["key"].startswith("amr-")]
        assert len(offices) == 1, district
    assert len(_units(client, kind="street")) == SAMPLE_STREETS
    assert _units(client, kind="center")[0]["key"] == "center-12345"
    assert everything["hubin-liuyin"]["path"] == [
        "yunhai",
        "donghu",
        "donghu-hubin",
        "hubin-liuyin",
    ]
    assert {u["key"] for u in _units(client, region="990102001")} == {
        "donghu-hubin",
        "hubin-liuyin",
        "hubin-heyue",
    }
    assert {u["key"] for u in _units(client, under="donghu-hubin")} == {
        "donghu-hubin",
        "hubin-liuyin",
        "hubin-heyue",
    }


def test_an_admin_adds_renames_moves_and_deactivates_a_unit(client):
    boss = admin(client)
    res = boss.post(
        "/api/departments",
        {
            "key": "donghu-xinyuan",
            "name": {"zh": "新苑街道"},
            "kind": "street",
            "parent": "donghu",
            "region_code": "990102003",
        },
    )
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["path"] == ["yunhai", "donghu", "donghu-xinyuan"]
    boss.post(
        "/api/departments",
        {
            "key": "xinyuan-a",
            "name": {"zh": "甲社区"},
            "kind": "community",
            "parent": "donghu-xinyuan",
        },
    )
    res = boss.client.patch(
        "/api/departments/donghu-xinyuan",
        headers=boss.headers,
        json={"name": {"zh": "新苑街道办事处"}, "parent": "xishan"},
    )
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["name"]["zh"] == "新苑街道办事处"
    moved = {u["key"]: u["path"] for u in _units(client, under="xishan")}
    assert moved["xinyuan-a"] == ["yunhai", "xishan", "donghu-xinyuan", "xinyuan-a"]
    res = boss.client.patch(
        "/api/departments/donghu-xinyuan", headers=boss.headers, json={"active": False}
    )
    assert res.get_json()["active"] is False


@pytest.mark.parametrize(
    "body, field",
    [
        ({"key": "Bad Key", "name": {"zh": "x"}}, "key"),
        ({"key": "ok-key", "name": {"en": "no zh"}}, "name"),
        ({"key": "ok-key", "name": {"zh": "x"}, "kind": "ministry"}, "kind"),
        ({"key": "ok-key", "name": {"zh": "x"}, "region_code": "12"}, "region_code"),
        ({"key": "ok-key", "name": {"zh": "x"}, "parent": "nowhere"}, "parent"),
    ],
)
def test_a_bad_unit_is_refused_naming_the_field_and_nothing_is_added(client, body, field):
    boss = admin(client)
    before = len(_units(client))
    res = boss.post("/api/departments", body)
    assert res.status_code == 422 and field in res.get_json()["errors"], res.get_json()
    assert len(_units(client)) == before


def test_a_move_into_its_own_subtree_is_a_cycle(client):
    boss = admin(client)
    for target in ("donghu-hubin", "hubin-liuyin", "donghu"):
        res = boss.client.patch(
            "/api/departments/donghu", headers=boss.headers, json={"parent": target}
        )
        assert res.status_code == 422 and "cycle" in res.get_json()["errors"]["parent"][0]
    assert [u["parent"] for u in _units(client) if u["key"] == "donghu"] == ["yunhai"]


def test_only_an_admin_changes_the_organisation(client):
    clerk = make_staff(client, "org-clerk", ["amr"])
    res = clerk.post("/api/departments", {"key": "x-unit", "name": {"zh": "x"}})
    assert res.status_code == 403
    assert (
        clerk.client.patch(
            "/api/departments/amr", headers=clerk.headers, json={"active": False}
        ).status_code
        == 403
    )
    assert (
        admin(client).post("/api/departments", {"key": "amr", "name": {"zh": "again"}}).status_code
        == 409
    )


def test_a_supervisor_sees_the_tasks_of_every_unit_below_his(client):
    submit(client, "open-restaurant")  # its acceptance task is the city AMR's (amr)
    city = make_staff(client, "city-boss", ["yunhai"], roles=("supervisor",))
    district = make_staff(client, "donghu-boss", ["donghu"], roles=("supervisor",))
    handler = make_staff(client, "city-handler", ["yunhai"])
    assert [t["task"] for t in city.worklist()] == ["accept"]
    assert district.worklist() == [] and handler.worklist() == []  # not below / not a supervisor
    task_id = city.worklist()[0]["id"]
    assert city.post(f"/api/tasks/{task_id}/claim").status_code == 200


def test_routing_tables_resolve_the_most_specific_row(client):
    boss = admin(client)
    rows = [
        {"category": "*", "region": "*", "department": "center-12345"},
        {"category": "*", "region": "990102", "department": "donghu"},
        {"category": "0301", "region": "990102", "department": "amr-donghu"},
        {"category": "03", "region": "990102001", "department": "donghu-hubin"},
        {"category": "0301", "region": "*", "department": "amr"},
    ]
    res = boss.client.put("/api/routing/hotline-test", headers=boss.headers, json={"rows": rows})
    assert res.status_code == 200 and res.get_json()["rows"] == 5

    def resolve(category, region):
        res = boss.get(
            "/api/routing/hotline-test/resolve",
            query_string={"category": category, "region": region},
        )
        assert res.status_code == 200, res.get_json()
        return res.get_json()["department"]

    assert resolve("030101", "990102001001") == "donghu-hubin"  # longest region first
    assert resolve("030101", "990102002") == "amr-donghu"  # then the longest category
    assert resolve("0401", "990102002") == "donghu"
    assert resolve("030101", "990105001") == "amr"
    assert resolve("0401", "990105001") == "center-12345"
    assert (
        boss.get(
            "/api/routing/no-such/resolve", query_string={"category": "01", "region": "9"}
        ).status_code
        == 404
    )


def test_a_bad_routing_table_is_refused_whole(client):
    boss = admin(client)
    good = [{"category": "*", "region": "*", "department": "center-12345"}]
    assert (
        boss.client.put("/api/routing/t1", headers=boss.headers, json={"rows": good}).status_code
        == 200
    )
    bad = [
        {"category": "01", "region": "99x", "department": "amr"},
        {"category": "02", "region": "*", "department": "nowhere"},
        {"category": "*", "region": "*", "department": "amr", "extra": 1},
    ]
    res = boss.client.put("/api/routing/t1", headers=boss.headers, json={"rows": bad})
    assert res.status_code == 422
    assert {"rows/0/region", "rows/2"} <= set(res.get_json()["errors"])
    res = boss.client.put("/api/routing/t1", headers=boss.headers, json={"rows": bad[1:2]})
    assert res.status_code == 422 and "rows/0/department" in res.get_json()["errors"]
    assert boss.get("/api/routing/t1").get_json() == good  # nothing changed
