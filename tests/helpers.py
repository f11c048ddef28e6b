"""Helpers that drive the real HTTP API the way clients do (and, at the end, the
engine's functions in-process, for tests of what lies under the API)."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

from engine.domain.access import Actor

ROOT = Path(__file__).resolve().parent.parent
MATTERS = ("open-restaurant", "retirement", "property-transfer")
APPLICANT = {
    "name": "张三",
    "id_type": "id_card",
    "id_number": "330102199001011234",
    "phone": "13800138000",
}


def example_form(key: str) -> dict:
    return json.loads((ROOT / "processes" / key / "example-form.json").read_text("utf-8"))


def submit(
    client,
    key: str,
    form: dict | None = None,
    headers: dict | None = None,
    applicant: dict | None = None,
):
    return client.post(
        f"/api/matters/{key}/cases",
        headers=headers or {},
        json={
            "applicant": applicant or APPLICANT,
            "form": example_form(key) if form is None else form,
        },
    )


class Staff:
    """A logged-in staff member."""

    def __init__(self, client, username: str, password: str):
        self.client = client
        self.username = username
        res = client.post("/api/auth/login", json={"username": username, "password": password})
        assert res.status_code == 200, res.get_json()
        self.headers = {"Authorization": f"Bearer {res.get_json()['token']}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, headers=self.headers, json=json or {}, **kw)

    def worklist(self, **query):
        res = self.get("/api/tasks", query_string=query)
        assert res.status_code == 200, res.get_json()
        return res.get_json()


def admin(client):
    from .conftest import ADMIN_PASSWORD

    return Staff(client, "admin", ADMIN_PASSWORD)


def make_staff(client, username: str, departments: list[str], roles=("handler",)) -> Staff:
    boss = admin(client)
    res = boss.post(
        "/api/users",
        {
            "username": username,
            "password": "password-1",
            "display_name": username,
            "departments": departments,
            "roles": list(roles),
        },
    )
    assert res.status_code == 201, res.get_json()
    return Staff(client, username, "password-1")


def matter_yaml(key: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / "processes" / key / "matter.yaml").read_text("utf-8"))


def task_output(key: str, task: str) -> dict:
    """The shipped example output of a task (processes/<key>/example-outputs.json)."""
    outputs = json.loads((ROOT / "processes" / key / "example-outputs.json").read_text("utf-8"))
    return outputs[task]


# lanes dispatched at run time, and the unit of the sample organisation their tasks go to
# for the example forms (open-restaurant's shop is in 东湖区)
EXAMPLE_UNITS = {"amr_local": "amr-donghu"}


class Office:
    """One handler per department of a matter (plus a supervisor in the lead)."""

    def __init__(self, client, key: str):
        self.key = key
        self.matter = matter_yaml(key)
        self.staff = {
            dept: make_staff(client, f"{key}-{dept}", [EXAMPLE_UNITS.get(dept, dept)])
            for dept in self.matter["departments"]
        }
        self.lead = next(d for d, v in self.matter["departments"].items() if v.get("lead"))

    def relogin(self, client) -> None:
        """After the clock moved past the token lifetime."""
        self.staff = {
            dept: Staff(client, member.username, "password-1")
            for dept, member in self.staff.items()
        }

    def open_tasks(self, case_no: str) -> list[tuple[str, dict]]:
        found = []
        for dept, member in self.staff.items():
            for item in member.worklist():
                if item["case_no"] == case_no:
                    found.append((dept, item))
        return found

    def work(self, dept: str, item: dict, data: dict | None = None):
        member = self.staff[dept]
        res = member.post(f"/api/tasks/{item['id']}/claim")
        assert res.status_code == 200, res.get_json()
        res = member.post(
            f"/api/tasks/{item['id']}/complete",
            {"data": task_output(self.key, item["task"]) if data is None else data},
        )
        assert res.status_code == 200, res.get_json()
        return res.get_json()


def progress(client, case_no: str, code: str):
    res = client.get(f"/api/cases/{case_no}/progress", query_string={"code": code})
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def package_files(key: str) -> dict[str, bytes]:
    """A shipped matter bundled as an upload package would be: every file it names."""
    matter = matter_yaml(key)
    names = [matter["process"]["file"], *(matter.get("decisions") or [])]
    files = {
        "matter.yaml": (ROOT / "processes" / key / "matter.yaml").read_bytes(),
        matter["form"]: (ROOT / "processes" / key / matter["form"]).read_bytes(),
    }
    for name in names:
        files[name] = (ROOT / "bpmn" / name).read_bytes()
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def deploy(member, files: dict[str, bytes]):
    import io

    return member.client.post(
        "/api/matters",
        headers=member.headers,
        data={"package": (io.BytesIO(zip_bytes(files)), "package.zip")},
        content_type="multipart/form-data",
    )


# -- in-process: the engine's functions, one unit of work each ----------------------

ADMIN_ACTOR = Actor("admin", frozenset(), frozenset({"admin"}))


def submit_case(runtime, key: str, form: dict | None = None) -> int:
    """A case of `key` with its example form (or `form`); its id."""
    from engine.services import intake

    with runtime.uow() as uow:
        case, _ = intake.submit_case(
            uow, key, APPLICANT, example_form(key) if form is None else form
        )
        uow.commit()
        return case.id


def complete_a_ready_task(
    runtime, case_id: int, key: str, data: dict | None = None, pick=lambda ready: ready[0]
) -> None:
    """The case's first ready task (or the one `pick` takes of them), done by an admin
    with its example output (or `data`, for a matter that ships none)."""
    from engine.services import flow, handling

    with runtime.uow() as uow:
        task = pick([t for t in flow.lock_case(uow, case_id).tasks if t.state == "ready"])
        handling.complete(
            uow, ADMIN_ACTOR, task.id, task_output(key, task.task) if data is None else data
        )
        uow.commit()


def complete_case(
    runtime,
    case_id: int,
    key: str,
    data: dict | None = None,
    max_steps: int = 30,
    pick=lambda ready: ready[0],
) -> None:
    """Every ready task of the case, one after another (`complete_a_ready_task`),
    until none is left."""
    from engine.store.models import Case

    for _ in range(max_steps):
        with runtime.uow() as uow:
            if not any(t.state == "ready" for t in uow.session.get(Case, case_id).tasks):
                return
        complete_a_ready_task(runtime, case_id, key, data, pick)
    raise AssertionError(f"case {case_id} has ready tasks after {max_steps} completions")


# -- what goes to the database ---------------------------------------------------------


@contextmanager
def sent_to_database(runtime, session=None):
    """Everything sent to the database meanwhile, on the path production takes.

    PostgreSQL: each message a connection sends (engine.store.pgconn keeps them when
    asked; one message is one round trip, and may hold several statements); the
    connection `session` holds already is watched too. SQLite: each statement
    SQLAlchemy executes (its only path)."""
    seen: list = []
    if runtime.engine.dialect.name != "postgresql":

        def count(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            yield seen
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
        return

    def on_checkout(dbapi_connection, _record, _proxy):
        dbapi_connection.sent = seen

    def on_checkin(dbapi_connection, _record):
        dbapi_connection.sent = None

    held = session.connection().connection.dbapi_connection if session is not None else None
    event.listen(runtime.engine, "checkout", on_checkout)
    event.listen(runtime.engine, "checkin", on_checkin)
    if held is not None:
        held.sent = seen
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "checkout", on_checkout)
        event.remove(runtime.engine, "checkin", on_checkin)
        if held is not None:
            held.sent = None


def sql_text(message) -> str:
    """A message as readable SQL: each `EXECUTE` of a statement the engine prepared
    (engine.store.plain) shown with the statement it runs."""
    from engine.store import plain

    text = message.decode() if isinstance(message, bytes) else str(message)
    if "EXECUTE onething_" not in text:
        return text
    prepared = {
        value[0]: value[1]
        for key, value in plain._TEMPLATES.items()
        if key[0] in ("prepared", "prepared write")
    }
    return re.sub(
        r"EXECUTE (onething_\w+)",
        lambda m: f"EXECUTE {m.group(1)} /* {prepared.get(m.group(1), '?')} */",
        text,
    )
