"""One form, one intake: validation, numbering, idempotency, the applicant's code."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.store.models import Case, Event, Task

from ..helpers import APPLICANT, MATTERS, example_form, progress, submit


def _count(runtime, model) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_catalogue_lists_the_shipped_matters(client):
    res = client.get("/api/matters")
    assert res.status_code == 200
    assert {m["key"] for m in res.get_json()} >= set(MATTERS)


@pytest.mark.parametrize("key", MATTERS)
def test_matter_page_has_form_materials_deadline_departments(client, key):
    body = client.get(f"/api/matters/{key}").get_json()
    assert body["key"] == key and body["version"] >= 1
    assert body["form"]["type"] == "object"
    assert body["materials"] and body["deadline"]["promised"]
    assert sum(d["lead"] for d in body["departments"].values()) == 1
    assert len(body["departments"]) >= 3


def test_unknown_matter_is_a_problem_404(client):
    res = client.get("/api/matters/no-such-matter")
    assert res.status_code == 404
    assert res.mimetype == "application/problem+json"
    assert set(res.get_json()) >= {"type", "title", "status", "detail"}


@pytest.mark.parametrize("key", MATTERS)
def test_intake_issues_case_number_and_query_code(client, key):
    res = submit(client, key)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert re.fullmatch(r"2026112[0-9]\d{8}", body["case_no"])
    assert body["status"] == "submitted" and len(body["query_code"]) >= 8
    state = progress(client, body["case_no"], body["query_code"])
    assert state["status"] == "submitted" and state["accepted_at"] is None
    assert [s["state"] for s in state["steps"]] == ["ready"]
    assert state["timeline"][0]["kind"] == "submitted"


def test_invalid_form_names_every_field_and_stores_nothing(client, runtime):
    form = example_form("open-restaurant")
    first_required = next(
        iter(client.get("/api/matters/open-restaurant").get_json()["form"]["required"])
    )
    form.pop(first_required)
    form["unexpected_extra"] = {"x": 1}
    before = (_count(runtime, Case), _count(runtime, Event), _count(runtime, Task))
    res = submit(
        client,
        "open-restaurant",
        form,
        applicant={**APPLICANT, "phone": "not a phone", "id_type": "dog"},
    )
    assert res.status_code == 422
    assert res.mimetype == "application/problem+json"
    errors = res.get_json()["errors"]
    assert f"form/{first_required}" in errors
    assert "applicant/phone" in errors and "applicant/id_type" in errors
    assert (_count(runtime, Case), _count(runtime, Event), _count(runtime, Task)) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"applicant": APPLICANT}, "form"),
        ({"form": {}}, "applicant"),
        ({"applicant": APPLICANT, "form": "text"}, "form"),
        ({"applicant": APPLICANT, "form": {}, "extra": 1}, "extra"),
    ],
)
def test_malformed_bodies_are_422_naming_the_field(client, runtime, body, field):
    res = client.post("/api/matters/retirement/cases", json=body)
    assert res.status_code == 422, res.get_json()
    assert field in res.get_json()["errors"]
    assert _count(runtime, Case) == 0


def test_non_json_body_is_4xx_problem(client):
    res = client.post(
        "/api/matters/retirement/cases", data="{not json", content_type="application/json"
    )
    assert 400 <= res.status_code < 500
    assert res.mimetype == "application/problem+json"


def test_same_idempotency_key_gives_the_same_case(client, runtime):
    headers = {"Idempotency-Key": "abc-123"}
    first = submit(client, "retirement", headers=headers)
    again = submit(client, "retirement", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    assert _count(runtime, Case) == 1


def test_idempotency_key_reused_for_other_content_is_409(client, runtime):
    headers = {"Idempotency-Key": "abc-456"}
    assert submit(client, "retirement", headers=headers).status_code == 201
    other = submit(client, "retirement", headers=headers, applicant={**APPLICANT, "name": "李四"})
    assert other.status_code == 409
    assert _count(runtime, Case) == 1


def test_wrong_query_code_answers_exactly_like_unknown_case(client):
    body = submit(client, "retirement").get_json()
    wrong = client.get(f"/api/cases/{body['case_no']}/progress", query_string={"code": "X" * 10})
    unknown = client.get("/api/cases/2099010100000001/progress", query_string={"code": "X" * 10})
    assert wrong.status_code == unknown.status_code == 404
    strip = lambda b: {k: v for k, v in b.items() if k != "detail"}  # noqa: E731
    assert strip(wrong.get_json()) == strip(unknown.get_json())
    missing = client.get(f"/api/cases/{body['case_no']}/progress")
    assert missing.status_code == 422


def test_openapi_document_is_served(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    post = doc["paths"]["/api/matters/{key}/cases"]["post"]
    assert {"201", "404", "409", "422"} <= set(post["responses"])
