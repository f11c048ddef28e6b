"""The analyst studio in a real browser: the modeler edits and deploys a diagram as a
new version; an invalid package's problems are listed and marked on its diagram;
the SLA dashboard draws and exports. Also the English switch."""

from __future__ import annotations

import re

from ..helpers import Office, make_staff, package_files, submit, zip_bytes
from .test_pages_case import login

KEY = "open-restaurant"


def _finished_case(client) -> None:
    """A case worked to the end and rated, through the API."""
    office = Office(client, KEY)
    intake = submit(client, KEY).get_json()
    for _ in range(10):
        open_tasks = office.open_tasks(intake["case_no"])
        if not open_tasks:
            break
        for dept, item in open_tasks:
            office.work(dept, item)
    res = client.post(
        f"/api/cases/{intake['case_no']}/rating",
        query_string={"code": intake["query_code"]},
        json={"score": 5},
    )
    assert res.status_code == 201, res.get_json()
    submit(client, KEY)  # and one still open


def test_analyst_edits_a_diagram_and_deploys_it(client, new_page, shots, tmp_path):
    make_staff(client, "analyst", [], ["analyst", "supervisor"])
    _finished_case(client)  # something for the dashboard to draw
    page = new_page()
    login(page, "analyst")

    page.goto("/studio/")
    page.wait_for_selector(f'#library tr[data-matter="{KEY}"]')
    shots(page, "13-studio-library")

    # an invalid package: every problem listed, the element marked on its diagram
    files = package_files(KEY)
    files["open-restaurant.bpmn"] = files["open-restaurant.bpmn"].replace(
        b"<bpmn:flowNodeRef>fire_check</bpmn:flowNodeRef>", b""
    )
    bad = tmp_path / "bad.zip"
    bad.write_bytes(zip_bytes(files))
    page.set_input_files("#package", str(bad))
    page.click("#upload")
    page.wait_for_selector('#problems li[data-element="fire_check"]')
    page.wait_for_selector('#problem-diagram[data-marked="1"]')
    assert (
        page.locator('#problem-diagram .djs-element.problem[data-element-id="fire_check"]').count()
        == 1
    )
    shots(page, "14-studio-upload-problems")

    # the modeler: rename a task by direct editing, deploy as version 2
    page.click(f'#library tr[data-matter="{KEY}"] a.button')
    page.wait_for_selector('#modeler[data-ready="1"]')
    assert page.get_attribute("#modeler", "data-version") == "1"
    page.locator('#modeler .djs-element[data-element-id="accept"]').dblclick()
    editor = page.locator(".djs-direct-editing-parent")
    editor.wait_for(state="visible")
    page.keyboard.press("Control+A")
    page.keyboard.type("窗口受理（一窗通办）")
    page.locator('#modeler .djs-element[data-element-id="license_review"]').click()
    shots(page, "15-studio-modeler")
    page.click("#deploy")
    page.wait_for_selector('#modeler[data-version="2"]')
    versions = client.get(f"/api/matters/{KEY}/versions").get_json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["deployed_by"] == "analyst"
    matter = client.get(f"/api/matters/{KEY}").get_json()
    assert matter["version"] == 2

    # the dashboard: figures, charts, exports
    page.goto("/studio/metrics")
    page.wait_for_selector("#kpis .kpi")
    page.wait_for_selector("#chart-matter-ontime svg, #chart-matter-ontime p")
    shots(page, "16-studio-metrics")
    with page.expect_download() as download:
        page.click("#csv")
    assert download.value.suggested_filename == "metrics.csv"
    assert "on_time_rate" in open(download.value.path(), encoding="utf-8-sig").read()
    with page.expect_download() as download:
        page.click("#xlsx")
    assert open(download.value.path(), "rb").read(2) == b"PK"
    page.fill("#from", "2030-01-01")
    page.click("#range button[type=submit]")
    page.wait_for_function("document.querySelector('#kpis .kpi b').textContent === '0'")
    assert not page.js_errors, page.js_errors


def test_english_switch(new_page, shots):
    page = new_page("en")
    page.goto("/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Open a restaurant" in page.inner_text("#catalogue")
    page.goto(f"/matters/{KEY}")  # the choice is remembered
    assert "Materials" in page.inner_text("#notice")
    shots(page, "17-portal-matter-english")
    page.goto("/?lang=zh")
    assert "开办餐饮店" in page.inner_text("#catalogue")
    assert re.search("办件查询", page.inner_text("header"))
