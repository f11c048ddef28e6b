"""A whole case through the pages, as each kind of user:
the applicant submits (one field rejected by the server first), a clerk accepts,
departments handle their tasks, one asks for 补正, the applicant supplements,
the case completes and the applicant rates it; staff see the diagram."""

from __future__ import annotations

import re

from ..helpers import APPLICANT, example_form, make_staff, task_output

KEY = "open-restaurant"


def leaves(data: dict, prefix: str = ""):
    for key, value in data.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            yield from leaves(value, path)
        else:
            yield path, value


def fill_schema_form(page, container: str, data: dict) -> None:
    import json

    for path, value in leaves(data):
        field = page.locator(f'{container} [name="{path}"]')
        tag = field.evaluate("n => n.tagName")
        if tag == "SELECT":
            field.select_option(value=json.dumps(value, ensure_ascii=False))
        elif isinstance(value, bool):
            field.set_checked(value)
        else:
            field.fill(str(value))


def login(page, username: str, password: str = "password-1") -> None:
    page.goto("/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/$"))


def open_task(page, case_no: str, task: str) -> None:
    """From the worklist: claim the case's task and land on its page."""
    page.goto("/staff/")
    row = page.locator(f'#worklist tr[data-case="{case_no}"][data-task="{task}"]')
    row.locator("button[data-claim]").click()
    page.wait_for_url(re.compile(r"/staff/cases/\d+/tasks/\d+$"))
    page.wait_for_selector('#task-state[data-state="claimed"]')


def complete_task(page, data: dict) -> None:
    fill_schema_form(page, "#output-fields", data)
    page.click("#complete")
    page.wait_for_selector('#task-state[data-state="completed"]')


def test_whole_case_through_the_pages(client, new_page, shots):
    # --- the applicant: catalogue, 一次告知, the one form --------------------------------
    applicant = new_page()
    applicant.goto("/")
    assert applicant.locator(f'[data-matter="{KEY}"]').is_visible()
    shots(applicant, "01-portal-catalogue")
    applicant.click(f'[data-matter="{KEY}"]')
    applicant.wait_for_selector("#materials li")
    assert "经营场所租赁合同" in applicant.inner_text("#materials")
    assert "市场监督管理局" in applicant.inner_text("#notice")

    applicant.fill("#a-name", APPLICANT["name"])
    applicant.select_option("#a-idtype", APPLICANT["id_type"])
    applicant.fill("#a-idno", APPLICANT["id_number"])
    applicant.fill("#a-phone", APPLICANT["phone"])
    form = example_form(KEY)
    fill_schema_form(applicant, "#form-fields", form)
    applicant.fill('#form-fields [name="operator/phone"]', "12345")  # the server says no
    shots(applicant, "02-portal-matter-form")
    applicant.click("#submit")
    error = applicant.locator('[data-error-for="operator/phone"]')
    error.wait_for(state="visible")
    assert "格式不正确" in error.inner_text()  # the server's "does not match", said plainly
    assert "invalid" in applicant.locator('.field[data-path="operator/phone"]').get_attribute(
        "class"
    )
    shots(applicant, "03-portal-form-rejected-field")

    applicant.fill('#form-fields [name="operator/phone"]', form["operator"]["phone"])
    applicant.click("#submit")
    applicant.wait_for_url(re.compile(r"/cases/\d+/receipt\?code="))
    case_no = applicant.inner_text("#case-no").strip()
    code = applicant.inner_text("#query-code").strip()
    assert applicant.locator(".qr svg").count() == 1
    pdf = applicant.request.get(applicant.get_attribute("#pdf", "href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    shots(applicant, "04-portal-receipt")
    progress_url = f"/cases/{case_no}?code={code}"

    # --- staff accounts (admin work, through the API) ------------------------------------
    for username, departments, roles in (
        ("clerk", ["amr"], ["clerk", "handler"]),
        ("firefighter", ["fire"], ["handler"]),
        ("urbanist", ["urban"], ["handler"]),
        ("ecologist", ["eco"], ["handler"]),
        ("taxman", ["tax"], ["handler"]),
        ("analyst", [], ["analyst"]),
    ):
        make_staff(client, username, departments, roles)

    # --- the clerk accepts -----------------------------------------------------------------
    clerk = new_page()
    clerk.goto("/staff/login")
    shots(clerk, "05-staff-login")
    login(clerk, "clerk")
    clerk.wait_for_selector(f'#worklist tr[data-case="{case_no}"]')
    shots(clerk, "06-staff-worklist")
    open_task(clerk, case_no, "accept")
    shots(clerk, "07-staff-task-accept")
    complete_task(clerk, task_output(KEY, "accept"))

    # --- the fire brigade handles its task; it sees only its fields -----------------------
    fire = new_page()
    login(fire, "firefighter")
    open_task(fire, case_no, "fire_check")
    seen = fire.inner_text("#visible-form")
    assert form["shop"]["address"] in seen and form["operator"]["id_number"] not in seen
    complete_task(fire, task_output(KEY, "fire_check"))
    shots(fire, "08-staff-task-completed")

    # --- urban management asks for 补正 ---------------------------------------------------
    urban = new_page()
    login(urban, "urbanist")
    open_task(urban, case_no, "signboard_review")
    urban.click("#supplement-box summary")
    urban.check("#m-signboard_design")
    urban.fill("#other-missing", "招牌安装位置实景照片")
    urban.fill("#supplement-reason", "户外招牌材料不全")
    shots(urban, "09-staff-task-supplement")
    urban.click("#request-supplement")
    urban.wait_for_selector('#task-state[data-case-status="awaiting_supplement"]')

    # --- the applicant sees exactly what is missing and supplements -----------------------
    applicant.goto(progress_url)
    assert applicant.get_attribute("#status", "data-status") == "awaiting_supplement"
    applicant.click("#go-supplement")
    missing = applicant.inner_text("#missing-list")
    assert "户外招牌设计效果图及安装位置图" in missing and "招牌安装位置实景照片" in missing
    applicant.fill("#note", "已补充招牌设计图和实景照片")
    shots(applicant, "10-portal-supplement")
    applicant.click("#send-supplement")
    applicant.wait_for_url(re.compile(r"/cases/\d+\?code="))
    assert applicant.get_attribute("#status", "data-status") == "in_progress"

    urban.reload()
    urban.wait_for_selector('#task-state[data-case-status="in_progress"]')
    complete_task(urban, task_output(KEY, "signboard_review"))

    # --- the other departments work through the worklist page too ------------------------
    # the task's own form: the server's per-field error shows next to the field
    open_task(clerk, case_no, "license_review")
    clerk.fill('#output-fields [name="uscc"]', "not-a-code")
    clerk.click("#complete")
    clerk.locator('#output-fields [data-error-for="uscc"]').wait_for(state="visible")
    assert clerk.get_attribute("#task-state", "data-state") == "claimed"
    shots(clerk, "08b-staff-task-output-rejected")
    clerk.click("#unclaim")  # back on the department's worklist, then on with the work
    clerk.wait_for_selector('#task-state[data-state="ready"]')
    clerk.click("#claim")
    clerk.wait_for_selector('#task-state[data-state="claimed"]')
    complete_task(clerk, task_output(KEY, "license_review"))

    for page, username, task in (
        (new_page(), "ecologist", "env_registration"),
        (new_page(), "taxman", "tax_registration"),
    ):
        if username:
            login(page, username)
        open_task(page, case_no, task)
        complete_task(page, task_output(KEY, task))

    # the case page: history, every department's state, the diagram with markers
    clerk.goto(f"/staff/cases/{case_no}")
    clerk.wait_for_selector('#diagram[data-ready="1"]')
    assert clerk.locator("#diagram .djs-element.completed").count() >= 4
    assert clerk.locator("#diagram .djs-element.active").count() >= 1
    assert clerk.locator("#history tbody tr").count() > 10
    shots(clerk, "11-staff-case-diagram")

    for task in ("site_inspection", "issue_result"):
        clerk.goto("/staff/")
        clerk.wait_for_selector('#worklist[data-loaded="1"]')
        if clerk.locator(f'#worklist tr[data-case="{case_no}"][data-task="{task}"]').count():
            open_task(clerk, case_no, task)
            complete_task(clerk, task_output(KEY, task))

    # --- completed: the applicant rates ----------------------------------------------------
    applicant.goto(progress_url)
    assert applicant.get_attribute("#status", "data-status") == "completed"
    assert applicant.locator("#steps tbody tr").count() >= 6
    assert applicant.locator('#timeline li[data-kind="supplemented"]').count() == 1
    applicant.check('#rate-form input[name=score][value="4"]')
    applicant.fill("#comment", "一次办好，很方便")
    applicant.click("#rate-form button[type=submit]")
    applicant.wait_for_selector("#rated")
    assert "4" in applicant.inner_text("#rated")
    shots(applicant, "12-portal-progress-rated")

    for page in (applicant, clerk, fire, urban):
        assert not page.js_errors, page.js_errors


def test_track_special_procedure_and_withdraw(client, new_page, shots):
    from ..helpers import submit

    intake = submit(client, KEY).get_json()
    case_no, code = intake["case_no"], intake["query_code"]
    make_staff(client, "clerk", ["amr"], ["clerk", "handler"])

    applicant = new_page()
    applicant.goto("/track")
    applicant.fill("#t-case", case_no)
    applicant.fill("#t-code", "WRONGCODE0")
    applicant.click("#track-form button[type=submit]")
    assert "未找到该办件" in applicant.inner_text("main")
    applicant.fill("#t-case", case_no)
    applicant.fill("#t-code", code)
    applicant.click("#track-form button[type=submit]")
    assert applicant.get_attribute("#status", "data-status") == "submitted"

    clerk = new_page()
    login(clerk, "clerk")
    clerk.select_option("#f-warning", "red")
    clerk.wait_for_selector('#worklist[data-loaded="1"] tbody td.muted')  # no red cards
    clerk.select_option("#f-warning", "")
    open_task(clerk, case_no, "accept")
    complete_task(clerk, task_output(KEY, "accept"))
    open_task(clerk, case_no, "license_review")
    clerk.click("#suspend-box summary")
    clerk.select_option("#suspend-kind", "expert_review")
    clerk.fill("#suspend-reason", "需组织专家评审")
    clerk.click("#suspend")
    clerk.wait_for_selector('#task-state[data-case-status="suspended"]')
    shots(clerk, "18-staff-task-special-procedure")
    clerk.click("#resume")
    clerk.wait_for_selector('#task-state[data-case-status="in_progress"]')

    applicant.goto(f"/cases/{case_no}?code={code}")
    kinds = applicant.locator("#timeline li").evaluate_all("ns => ns.map(n => n.dataset.kind)")
    assert "resumed" in kinds
    applicant.click("#withdraw")  # the confirm() is accepted
    applicant.wait_for_selector('#status[data-status="withdrawn"]')
    assert applicant.locator("#rate-form").count() == 1  # an ended case can be rated
    shots(applicant, "19-portal-progress-withdrawn")
    assert not applicant.js_errors and not clerk.js_errors
