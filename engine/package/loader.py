"""Loading a matter package: read its files, check everything, assemble it.

Nothing stops at the first problem: each check adds what it finds and the
package is refused with the whole list, so an analyst fixes a package in
one round instead of one deploy per mistake.
"""

from __future__ import annotations

from lxml import etree

from ..domain.matter import build_settings
from .bpmn import (
    ProcessModel,
    check_references,
    check_with_spiff,
    find_process,
    parse_file,
    process_ids,
    read_process,
)
from .expressions import check_bpmn_expressions, check_dmn_expressions
from .model import MatterPackage, PackageInvalid, Problems, UserTaskInfo
from .requests import check_kind, check_request
from .sections import (
    check_acceptance,
    check_departments,
    check_lanes,
    check_materials,
    check_sees,
    check_tasks,
)
from .sources import MATTER_FILE, SourceRefused, read_source
from .validate import (
    check_calendar,
    check_deadline,
    check_decisions,
    check_key,
    check_keys,
    check_process_ref,
    check_text,
    check_text_files,
    load_form,
    parse_matter,
    referenced_files,
)


def load_package(source) -> MatterPackage:
    """A validated package from a directory, zip bytes or a (matter_dir, bpmn_dir) pair.

    Raises PackageInvalid listing every problem found.
    """
    problems = Problems()
    try:
        files = read_source(source, problems, referenced_files)
    except SourceRefused:
        raise PackageInvalid(problems.items) from None
    raw = parse_matter(files, problems)
    if raw is None:
        raise PackageInvalid(problems.items)
    return _Loader(files, raw, problems).load()


class _Loader:
    def __init__(self, files: dict[str, bytes], raw: dict, problems: Problems):
        self.files, self.raw, self.problems = files, raw, problems

    def load(self) -> MatterPackage:
        raw, files, problems = self.raw, self.files, self.problems
        check_text_files(files, problems)
        check_keys(raw, problems)
        key = check_key(raw, problems)
        title = check_text(raw.get("title"), "title", problems) if "title" in raw else {}
        process_file, process_id = check_process_ref(raw, files, problems)
        decisions = check_decisions(raw, files, problems)
        form = load_form(raw, files, problems)
        calendar = check_calendar(raw, problems)
        deadline = check_deadline(raw, problems)
        departments, lead = check_departments(raw, problems)
        materials = check_materials(raw, problems)
        model = self._check_bpmn(process_file, process_id, decisions)
        if model is not None and "departments" in raw:
            check_lanes(departments, model, process_file, problems)
        tasks = check_tasks(raw, files, model, problems)
        kind = check_kind(raw, problems)
        request = check_request(raw, model.human_tasks if model else None, problems)
        if form is not None:
            check_sees(departments, form, problems)
        acceptance = check_acceptance(raw, lead, model, problems)
        if kind == "request":  # a request is accepted at intake (answered, dispatched)
            acceptance = None
        problems.raise_if_any()
        return MatterPackage(
            key=key,
            title=title,
            process_id=process_id,
            files=dict(files),
            bpmn_files=[process_file],
            dmn_files=decisions,
            form_schema=form,
            settings=build_settings(
                key=key,
                title=title,
                calendar=calendar,
                deadline=deadline,
                departments=departments,
                lead=lead,
                tasks=tasks,
                materials=materials,
                acceptance=acceptance,
                kind=kind,
                request=request,
            ),
            user_tasks={
                task_id: UserTaskInfo(task_id, name, model.task_lanes[task_id])
                for task_id, name in model.human_tasks.items()
            },
            lane_ids_by_name={name: lane_id for lane_id, name in model.lanes.items() if name},
            raw=raw,
        )

    def _check_bpmn(
        self, process_file: str | None, process_id: str | None, decisions: list[str]
    ) -> ProcessModel | None:
        """Parse and check the process and decision files; the process model if found."""
        root = parse_file(process_file, self.files, self.problems) if process_file else None
        dmn = {name: parse_file(name, self.files, self.problems) for name in decisions}
        for name, dmn_root in dmn.items():
            if dmn_root is not None:
                check_dmn_expressions(name, dmn_root, self.problems)
        if root is None:
            return None
        check_bpmn_expressions(process_file, root, self.problems)
        process = find_process(root, process_id) if process_id else None
        if process is None:
            if process_id:
                self._no_such_process(root, process_file, process_id)
            return None
        model = read_process(process)
        if check_references(model, process_file, self.problems) and all(
            r is not None for r in dmn.values()
        ):
            check_with_spiff({process_file: root}, dmn, process_id, process_file, self.problems)
        return model

    def _no_such_process(self, root: etree._Element, process_file: str, process_id: str) -> None:
        found = ", ".join(process_ids(root)) or "none"
        self.problems.add(
            MATTER_FILE,
            "process.id",
            f"no process '{process_id}' in {process_file} (found: {found})",
        )


def process_diagram_of(source) -> dict:
    """The process diagram inside a package that may not deploy (to show where its
    problems are): `{file, bpmn_xml}`, None where it cannot be found. Read as
    `load_package` reads: the same size limits, the same YAML loader."""
    problems = Problems()
    try:
        files = read_source(source, problems, referenced_files)
    except SourceRefused:
        return {"file": None, "bpmn_xml": None}
    raw = parse_matter(files, problems)
    process_file = (
        (raw.get("process") or {}).get("file")
        if isinstance(raw, dict) and isinstance(raw.get("process"), dict)
        else None
    )
    data = files.get(process_file) if isinstance(process_file, str) else None
    return {
        "file": process_file if isinstance(process_file, str) else None,
        "bpmn_xml": data.decode("utf-8", "replace") if data is not None else None,
    }
