"""Bad input anywhere is a 4xx problem naming the problem, never a 5xx."""

from __future__ import annotations

import pytest

from ..helpers import admin, submit


@pytest.mark.parametrize(
    "method, url, body, status, field",
    [
        ("get", "/api/calendar/CN/add?from=garbage&workdays=1", None, 422, "from"),
        (
            "get",
            "/api/calendar/CN/add?from=2026-11-23T10:00:00%2B08:00&workdays=x",
            None,
            422,
            "workdays",
        ),
        (
            "get",
            "/api/calendar/CN/add?from=2026-11-23T10:00:00%2B08:00&workdays=-1",
            None,
            422,
            "workdays",
        ),
        (
            "get",
            "/api/calendar/MARS/add?from=2026-11-23T10:00:00%2B08:00&workdays=1",
            None,
            404,
            None,
        ),
        ("get", "/api/calendar/CN/add?workdays=1", None, 422, "from"),
        ("post", "/api/auth/login", {"username": 1}, 422, "username"),
        ("post", "/api/auth/login", [], 422, None),
        ("get", "/api/tasks?state=bogus", None, 422, "state"),
        ("get", "/api/tasks?warning=purple", None, 422, "warning"),
        ("get", "/api/metrics?from=yesterday", None, 422, "from"),
        ("post", "/api/users", {"username": "x", "roles": "admin"}, 422, "roles"),
        ("post", "/api/tasks/999999/claim", None, 404, None),
        ("post", "/api/tasks/abc/claim", None, 404, None),
        ("get", "/api/cases/nope", None, 404, None),
        ("get", "/api/cases/nope/diagram", None, 404, None),
        ("post", "/api/cases/nope/extend", {"workdays": 1, "reason": "x"}, 404, None),
        ("post", "/api/cases/nope/extend", {"workdays": "1", "reason": "x"}, 422, "workdays"),
        ("post", "/api/matters", None, 422, "package"),
        ("delete", "/api/matters", None, 405, None),
    ],
)
def test_bad_requests_are_problems(client, method, url, body, status, field):
    boss = admin(client)
    kwargs = {"headers": boss.headers}
    if body is not None:
        kwargs["json"] = body
    res = getattr(client, method)(url, **kwargs)
    assert res.status_code == status, res.get_json()
    assert res.mimetype == "application/problem+json"
    problem = res.get_json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if field:
        assert field in problem["errors"], problem


def test_supplement_patch_with_wrong_types_is_422(client):
    body = submit(client, "retirement").get_json()
    res = client.post(
        f"/api/cases/{body['case_no']}/supplement",
        query_string={"code": body["query_code"]},
        json={"form": [1, 2]},
    )
    assert res.status_code == 422


def test_oversized_idempotency_key_is_422(client):
    res = submit(client, "retirement", headers={"Idempotency-Key": "k" * 300})
    assert res.status_code == 422 and "Idempotency-Key" in res.get_json()["errors"]


def test_oversized_body_is_413(client):
    res = client.post(
        "/api/matters/retirement/cases",
        data=b"{" + b" " * (26 * 1024 * 1024),
        content_type="application/json",
    )
    assert res.status_code == 413 and res.mimetype == "application/problem+json"
