"""Analysts deploy packages over HTTP: versions, every problem at once, running cases stay."""

from __future__ import annotations

import yaml

from ..helpers import Office, admin, deploy, make_staff, package_files, progress, submit


def test_deploy_makes_the_next_version_and_running_cases_stay(client):
    office = Office(client, "retirement")
    body = submit(client, "retirement").get_json()
    analyst = make_staff(client, "ana", [], roles=("analyst",))
    files = package_files("retirement")
    matter = yaml.safe_load(files["matter.yaml"])
    matter["title"]["zh"] = "退休一件事（新版）"
    files["matter.yaml"] = yaml.safe_dump(matter, allow_unicode=True).encode()
    res = deploy(analyst, files)
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["version"] == 2
    assert client.get("/api/matters/retirement").get_json()["title"]["zh"].endswith("（新版）")
    versions = client.get("/api/matters/retirement/versions").get_json()
    assert [v["version"] for v in versions] == [1, 2]
    state = progress(client, body["case_no"], body["query_code"])
    assert state["matter"]["version"] == 1
    ((dept, item),) = office.open_tasks(body["case_no"])
    office.work(dept, item)
    assert progress(client, body["case_no"], body["query_code"])["status"] == "in_progress"
    new_case = submit(client, "retirement").get_json()
    assert progress(client, new_case["case_no"], new_case["query_code"])["matter"]["version"] == 2


def test_invalid_package_lists_every_problem_and_stores_nothing(client):
    analyst = make_staff(client, "ana", [], roles=("analyst",))
    files = package_files("retirement")
    matter = yaml.safe_load(files["matter.yaml"])
    matter["calendar"] = "MARS"
    lead = next(k for k, v in matter["departments"].items() if v.get("lead"))
    matter["departments"][lead]["sees"] = ["no/such/field"]
    matter["deadline"]["promised"] = {"weeks": 2}
    files["matter.yaml"] = yaml.safe_dump(matter, allow_unicode=True).encode()
    res = deploy(analyst, files)
    assert res.status_code == 422, res.get_json()
    problems = res.get_json()["problems"]
    assert len(problems) >= 3, problems
    assert all(p["file"] for p in problems)
    assert [v["version"] for v in client.get("/api/matters/retirement/versions").get_json()] == [1]


def test_sandbox_escape_in_a_condition_is_rejected_naming_the_element(client):
    analyst = make_staff(client, "ana", [], roles=("analyst",))
    files = package_files("open-restaurant")
    process_file = yaml.safe_load(files["matter.yaml"])["process"]["file"]
    xml = files[process_file].decode()
    start = xml.index("<bpmn:conditionExpression")
    body_start = xml.index(">", start) + 1
    body_end = xml.index("</bpmn:conditionExpression>", body_start)
    files[process_file] = (
        xml[:body_start] + "__import__('os').system('id')" + xml[body_end:]
    ).encode()
    res = deploy(analyst, files)
    assert res.status_code == 422
    problems = res.get_json()["problems"]
    assert any(
        p["file"] == process_file and p["element"] and "__import__" in p["message"]
        for p in problems
    ), problems


def test_only_analysts_deploy_and_garbage_is_422(client):
    handler = make_staff(client, "handler-1", [], roles=("handler",))
    assert deploy(handler, package_files("retirement")).status_code == 403
    import io

    res = admin(client).client.post(
        "/api/matters",
        headers=admin(client).headers,
        data={"package": (io.BytesIO(b"not a zip"), "x.zip")},
        content_type="multipart/form-data",
    )
    assert res.status_code == 422
    res = admin(client).post("/api/matters", {})
    assert res.status_code == 422
