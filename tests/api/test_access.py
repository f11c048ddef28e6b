"""Staff see only their departments' tasks and fields; tokens and roles are checked."""

from __future__ import annotations

from ..helpers import Office, admin, make_staff, submit


def _leaf_paths(value, prefix=""):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaf_paths(item, f"{prefix}/{key}" if prefix else key)
    else:
        yield prefix


def test_staff_of_other_departments_cannot_see_or_act(client):
    office = Office(client, "open-restaurant")
    case_no = submit(client, "open-restaurant").get_json()["case_no"]
    ((dept, item),) = office.open_tasks(case_no)
    outsider = next(d for d in office.staff if d != dept)
    member = office.staff[outsider]
    assert all(t["id"] != item["id"] for t in member.worklist())
    for action, body in (
        ("claim", {}),
        ("complete", {"data": {}}),
        ("refuse", {"reason": "x"}),
        ("supplement", {"reason": "x", "missing": ["y"]}),
        ("suspend", {"kind": "other", "reason": "x"}),
    ):
        res = member.post(f"/api/tasks/{item['id']}/{action}", body)
        assert res.status_code == 404, (action, res.get_json())
    assert office.open_tasks(case_no)[0][1]["state"] == "ready"  # nothing changed


def test_staff_case_view_shows_only_the_fields_a_department_sees(client):
    office = Office(client, "open-restaurant")
    case_no = submit(client, "open-restaurant").get_json()["case_no"]
    # (a lane dispatched at run time: its unit sees the case once it has a task of it)
    restricted = [
        d for d, v in office.matter["departments"].items() if v.get("sees") and "dispatch" not in v
    ]
    assert restricted, "the example should restrict at least one department"
    for dept in restricted:
        allowed = office.matter["departments"][dept]["sees"]
        view = office.staff[dept].get(f"/api/cases/{case_no}")
        assert view.status_code == 200, view.get_json()
        for path in _leaf_paths(view.get_json()["form"]):
            assert any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed), (
                dept,
                path,
                allowed,
            )
    full = admin(client).get(f"/api/cases/{case_no}").get_json()["form"]
    narrowest = min(restricted, key=lambda d: len(office.matter["departments"][d]["sees"]))
    narrow = office.staff[narrowest].get(f"/api/cases/{case_no}").get_json()["form"]
    assert 0 < len(list(_leaf_paths(narrow))) < len(list(_leaf_paths(full)))


def test_unrelated_staff_cannot_open_the_case(client):
    submit_body = submit(client, "retirement").get_json()
    stranger = make_staff(client, "stranger", [], roles=("handler",))
    assert stranger.get(f"/api/cases/{submit_body['case_no']}").status_code == 404


def test_missing_or_bad_token_is_401_problem(client):
    res = client.get("/api/tasks")
    assert res.status_code == 401 and res.mimetype == "application/problem+json"
    res = client.get("/api/tasks", headers={"Authorization": "Bearer nope"})
    assert res.status_code == 401


def test_wrong_password_is_401(client):
    res = client.post("/api/auth/login", json={"username": "admin", "password": "wrong"})
    assert res.status_code == 401


def test_only_admins_create_users_and_bad_users_are_422(client):
    handler = make_staff(client, "h1", ["amr"]) if False else make_staff(client, "h1", [])
    res = handler.post(
        "/api/users", {"username": "x1", "password": "password-1", "roles": ["handler"]}
    )
    assert res.status_code == 403
    res = admin(client).post(
        "/api/users",
        {"username": "?", "password": "short", "roles": ["wizard"], "departments": ["nowhere"]},
    )
    assert res.status_code == 422
    assert set(res.get_json()["errors"]) == {"username", "password", "roles", "departments"}
    res = admin(client).post(
        "/api/users", {"username": "h1", "password": "password-1", "roles": ["handler"]}
    )
    assert res.status_code == 409


def test_history_does_not_leak_fields_a_department_does_not_see(client):
    office = Office(client, "open-restaurant")
    body = submit(client, "open-restaurant").get_json()
    case_no, code = body["case_no"], body["query_code"]
    ((dept, item),) = office.open_tasks(case_no)
    office.staff[dept].post(
        f"/api/tasks/{item['id']}/supplement", {"reason": "补充", "missing": ["其他"]}
    )
    res = client.post(
        f"/api/cases/{case_no}/supplement",
        query_string={"code": code},
        json={"form": {"business": {"scope": "新经营范围：热食类食品制售"}}},
    )
    assert res.status_code == 200, res.get_json()
    narrowest = min(
        (d for d, v in office.matter["departments"].items() if v.get("sees")),
        key=lambda d: len(office.matter["departments"][d]["sees"]),
    )
    allowed = office.matter["departments"][narrowest]["sees"]
    assert not any(a in ("business", "business/scope") for a in allowed)
    view = office.staff[narrowest].get(f"/api/cases/{case_no}").get_json()
    assert "新经营范围" not in str(view)
    assert "新经营范围" in str(admin(client).get(f"/api/cases/{case_no}").get_json())
