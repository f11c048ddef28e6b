"""What the analyst studio and the staff task page need beyond the JSON API:
a matter version's files, a task's output form, and redeploying an edited diagram."""
from __future__ import annotations

import io
import zipfile

import yaml
from sqlalchemy import select

from . import matters
from .access import Actor
from .cases import find_case
from .case_view import visible_paths
from .errors import Invalid, NotFound
from .models import Matter
from .package.sources import MATTER_FILE
from .workflow.specs import compiled


def process_diagram(uow, key: str, version: int | None = None) -> dict:
    """The BPMN XML of a matter version (the newest by default)."""
    matter = _version(uow, key, version)
    return {"key": matter.key, "version": matter.version, "title": matter.title,
            "file": matter.definition["process"]["file"],
            "bpmn_xml": matter.files[matter.definition["process"]["file"]]}


def form_schema(uow, key: str, version: int) -> dict:
    """The one form's JSON Schema of a matter version (a case stays on its version)."""
    return _version(uow, key, version).form_schema


def task_page(uow, actor: Actor, case_no: str, task_id: int) -> dict:
    """A task's output form (matter.yaml `tasks.<id>.form`) and the materials a 补正 may name."""
    case = find_case(uow, case_no)
    task = next((t for t in case.tasks if t.id == task_id), None)
    if task is None or not actor.in_department(task.department):
        raise NotFound(f"no task {task_id}")
    package = compiled(case.matter).package
    definition = (case.matter.definition.get("tasks") or {}).get(task.task) or {}
    return {"task": task.task, "department": task.department,
            "department_name": (package.departments.get(task.department) or {}).get("name"),
            "form": definition.get("form"), "materials": package.materials,
            "form_schema": case.matter.form_schema,
            "sees": visible_paths(case, actor)}


def redeploy_with_diagram(uow, actor: Actor, key: str, bpmn_xml: str) -> Matter:
    """Deploy the newest version's package with its process diagram replaced: the next version."""
    if not isinstance(bpmn_xml, str) or not bpmn_xml.strip():
        raise Invalid("bpmn_xml is required", errors={"bpmn_xml": ["is required"]})
    matter = matters.latest(uow, key)
    files = {name: text.encode("utf-8") for name, text in matter.files.items()}
    files[matter.definition["process"]["file"]] = bpmn_xml.encode("utf-8")
    return matters.deploy(uow, actor, _zip(files))


def package_diagram(data: bytes) -> dict:
    """The process diagram inside an uploaded package, to show where its problems are."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = {_member(n): n for n in zf.namelist()}
            matter_name = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == MATTER_FILE),
                               None)
            if matter_name is None or zf.getinfo(matter_name).file_size > 256 * 1024:
                return {"file": None, "bpmn_xml": None}
            raw = yaml.safe_load(zf.read(matter_name)) or {}
            process_file = ((raw.get("process") or {}).get("file")) if isinstance(raw, dict) else None
            prefix = matter_name[:-len(MATTER_FILE)]
            member = names.get(_member(prefix + str(process_file))) if process_file else None
            if member is None or zf.getinfo(member).file_size > 2 * 1024 * 1024:
                return {"file": process_file, "bpmn_xml": None}
            return {"file": process_file, "bpmn_xml": zf.read(member).decode("utf-8", "replace")}
    except (zipfile.BadZipFile, yaml.YAMLError, UnicodeDecodeError, AttributeError):
        return {"file": None, "bpmn_xml": None}


def _member(name: str) -> str:
    """A zip member name without empty or `.` parts."""
    return "/".join(part for part in str(name).split("/") if part not in ("", "."))


def _version(uow, key: str, version: int | None) -> Matter:
    if version is None:
        return matters.latest(uow, key)
    matter = uow.session.scalar(select(Matter).where(Matter.key == key,
                                                     Matter.version == version))
    if matter is None:
        raise NotFound(f"no matter {key!r} version {version}")
    return matter


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
    return buffer.getvalue()
