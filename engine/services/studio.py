"""What the analyst studio and the staff task page need beyond the JSON API:
a matter version's diagram, a task's output form, redeploying an edited diagram."""

from __future__ import annotations

import io
import zipfile

from ..domain.statuses import TaskKind
from ..domain.visibility import visible_paths
from ..errors import Invalid, NotFound
from ..package import process_diagram_of
from ..store import matters, organisation
from .accounts import staff_unit
from .deploy import deploy
from .dispatch import ASSIST_FORM
from .flow import find_case
from .specs import compiled
from .views import version_view


def process_diagram(rt, token: str, key: str, version: int | None = None) -> dict:
    """The BPMN XML of a matter version (the newest by default); analysts."""
    with staff_unit(rt, token) as (uow, actor):
        actor.require_role("analyst")
        matter = (
            matters.latest(uow, key) if version is None else matters.at_version(uow, key, version)
        )
        process_file = compiled(matter).package.process_file
        return {
            "key": matter.key,
            "version": matter.version,
            "title": matter.title,
            "file": process_file,
            "bpmn_xml": matter.files[process_file],
        }


def task_page(rt, token: str, case_no: str, task_id: int) -> dict:
    """A task's output form (matter.yaml `tasks.<id>.form`) and the materials a 补正 may name."""
    with staff_unit(rt, token) as (uow, actor):
        case = find_case(uow, case_no)
        task = next((t for t in case.tasks if t.id == task_id), None)
        if task is None or not actor.in_department(task.department):
            raise NotFound(f"no task {task_id}")
        settings = compiled(case.matter).settings
        unit = organisation.unit(uow.session, task.department)
        assist = task.kind == TaskKind.ASSIST
        return {
            "task": task.task,
            "kind": task.kind,
            "department": task.department,
            "department_name": dict(unit.name) if unit is not None else None,
            "form": ASSIST_FORM if assist else settings.task(task.task).form,
            "materials": list(settings.materials),
            "form_schema": case.matter.form_schema,
            "sees": visible_paths(settings, actor, case.tasks),
        }


def redeploy_with_diagram(rt, token: str, key: str, bpmn_xml) -> dict:
    """Deploy the newest version's package with its process diagram replaced: the next version."""
    if not isinstance(bpmn_xml, str) or not bpmn_xml.strip():
        raise Invalid("bpmn_xml is required", errors={"bpmn_xml": ["is required"]})
    with staff_unit(rt, token) as (uow, actor):
        matter = matters.latest(uow, key)
        files = {name: text.encode("utf-8") for name, text in matter.files.items()}
        files[compiled(matter).package.process_file] = bpmn_xml.encode("utf-8")
        deployed = deploy(uow, actor, _zip(files))
        uow.commit()
        return version_view(deployed)


def package_diagram(rt, token: str, data: bytes) -> dict:
    """The process diagram inside an uploaded package, to show where its problems are."""
    with staff_unit(rt, token) as (_uow, actor):
        actor.require_role("analyst")
    return process_diagram_of(data)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
    return buffer.getvalue()
