"""The 12345 line in a real browser: a caller reports on his phone and rates the reply;
an agent takes a call (the catalogue proposes the unit, a duplicate shows); the street
replies; the centre visits; the leaders see the month's ranking and the hot spots."""

from __future__ import annotations

from ..helpers import make_staff
from .conftest import PHONE
from .test_pages_case import login

CALLER_PHONE = "13912345678"


def _pick(page, root: str, values: list[str]) -> None:
    """Choose down a cascade of selects (category or region)."""
    for i, value in enumerate(values, start=1):
        select = f"#{root}-{i}"
        page.wait_for_selector(f'{select} option[value="{value}"]', state="attached")
        page.select_option(select, value)


def _fill_problem(page) -> None:
    _pick(page, "cat", ["01", "0101", "010102"])
    _pick(page, "reg", ["990102", "990102001", "990102001001"])
    page.fill("#address", "云海市东湖区湖滨路柳荫小区3号楼")
    page.fill("#title", "楼道堆放杂物堵塞消防通道")
    page.fill("#content", "3号楼楼道长期堆放纸箱和旧家具，堵塞消防通道，多次向物业反映未处理。")


def test_a_caller_reports_on_his_phone_and_rates_the_reply(client, new_page, shots):
    make_staff(client, "hubin-1", ["donghu-hubin"])
    caller = new_page()
    caller.set_viewport_size(PHONE)
    caller.goto("/report")
    caller.wait_for_selector('#report-form[data-ready="1"]')
    caller.click("#report-submit")  # nothing filled: every problem named at its field
    caller.wait_for_selector('.field.invalid [data-error-for="caller/phone"]')
    caller.fill("#phone", CALLER_PHONE)
    _fill_problem(caller)
    shots(caller, "40-hotline-report")
    caller.click("#report-submit")
    caller.wait_for_url("**/cases/*")
    assert caller.locator("#request-reply").is_visible()
    progress_url = caller.url
    assert caller.js_errors == []

    street = new_page()
    login(street, "hubin-1")
    row = street.locator("#worklist tbody tr").first
    row.wait_for()
    row.locator("button[data-claim]").click()
    street.wait_for_url("**/tasks/*")
    street.wait_for_selector("#output-fields textarea")
    street.fill("#output-fields textarea", "已联系物业于当日清理楼道杂物，街道每周巡查。")
    street.check("#output-fields input[type=checkbox]")
    street.click("#complete")
    street.wait_for_selector('#task-state[data-state="completed"]')

    caller.goto(progress_url)
    caller.wait_for_selector("#caller-visit")
    assert "已联系物业" in caller.inner_text("#reply-text")
    shots(caller, "41-hotline-reply-and-visit")
    caller.click("#caller-visit button[type=submit]")
    caller.wait_for_selector("#visit-done")
    assert caller.inner_text("#status") == "已办结"
    assert caller.js_errors == []


def test_an_agent_takes_a_call_and_the_leaders_see_the_ranking(client, new_page, shots):
    agent_staff = make_staff(client, "agent-1", ["center-12345"], roles=("agent",))
    make_staff(client, "hubin-1", ["donghu-hubin"])
    make_staff(client, "centre-1", ["center-12345"])
    make_staff(client, "leader-1", ["yunhai"], roles=("supervisor",))
    earlier = dict(
        caller={"phone": CALLER_PHONE},
        channel="phone",
        type="complaint",
        category="010102",
        title="楼道杂物",
        content="楼道堆物",
        location={"address": "柳荫小区3号楼", "region": "990102001001"},
    )
    assert agent_staff.post("/api/requests", earlier).status_code == 201

    agent = new_page()
    login(agent, "agent-1")
    agent.goto("/staff/hotline")
    agent.wait_for_selector('#intake-form[data-ready="1"]')
    agent.fill("#phone", CALLER_PHONE)
    _fill_problem(agent)
    agent.wait_for_selector('#proposal[data-unit="donghu-hubin"]')
    agent.wait_for_selector("#duplicates li[data-candidate]")
    shots(agent, "42-hotline-agent-console")
    agent.click("#intake-submit")
    agent.wait_for_selector("#after-intake:not([hidden])")
    assert "已受理" in agent.inner_text("#intake-message")
    assert agent.locator("#link-to button[data-link]").count() == 1
    assert agent.js_errors == []

    street = new_page()
    login(street, "hubin-1")
    for _ in range(2):  # both requests: the earlier one and the call
        row = street.locator("#worklist tbody tr[data-task-id]").first
        row.wait_for()
        row.locator("button[data-claim]").click()
        street.wait_for_url("**/tasks/*")
        street.wait_for_selector("#output-fields textarea")
        street.fill("#output-fields textarea", "已协调物业清理完毕。")
        street.check("#output-fields input[type=checkbox]")
        street.click("#complete")
        street.wait_for_selector('#task-state[data-state="completed"]')
        street.goto("/staff/")

    centre = new_page()
    login(centre, "centre-1")
    centre.goto("/staff/visits")
    centre.wait_for_selector('#visits[data-loaded="1"]')
    assert centre.locator("#visits tbody tr[data-case]").count() == 2
    shots(centre, "43-hotline-visits")
    for form in centre.locator("#visits form.visit-form").all():
        form.locator("button[type=submit]").click()
    centre.wait_for_function("document.querySelectorAll('#visits tr[data-done]').length == 2")
    assert centre.js_errors == []

    leader = new_page()
    login(leader, "leader-1")
    leader.goto("/studio/hotline")
    leader.select_option("#period", "2026-11")
    leader.wait_for_selector('#ranking tr[data-unit="donghu-hubin"]')
    row = leader.locator('#ranking tr[data-unit="donghu-hubin"]')
    assert "100.0%" in row.inner_text() and "湖滨街道" in row.inner_text()
    leader.wait_for_selector('#spots-category .bar-row[data-code="01"]')
    leader.click('#spots-region .bar-row[data-code="990102"] a')
    leader.wait_for_selector('#spots-region .bar-row[data-code="990102001"]')
    shots(leader, "44-hotline-dashboard")
    with leader.expect_download() as download:
        leader.click("#export")
    assert download.value.suggested_filename == "ranking-street-2026-11.csv"
    assert leader.js_errors == []
