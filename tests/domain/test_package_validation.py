"""Matter packages: loading from every source, all problems at once, hostile input.

Broken variants are made by copying the valid fixture into a temporary
directory and changing one thing, so each test shows exactly what breaks.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.package import MatterPackage, PackageInvalid, Problem, load_package
from engine.process.parser import build_specs as _build_specs
from engine.process.xml_safety import XmlRefused, parse_xml
from engine.sandbox import SandboxError, make_script_engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "packages"
VALID = FIXTURES / "valid"
CAMUNDA = FIXTURES / "camunda"
BPMN, DMN, MATTER = "process.bpmn", "risk.dmn", "matter.yaml"


@pytest.fixture
def package(tmp_path) -> Path:
    target = tmp_path / "package"
    shutil.copytree(VALID, target)
    return target


def edit_yaml(folder: Path, change) -> None:
    path = folder / MATTER
    raw = yaml.safe_load(path.read_text("utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")


def replace(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new), "utf-8")


def as_script_task(folder: Path, script: str) -> None:
    """Turn the user task extra_check into a script task running `script`."""
    replace(
        folder,
        BPMN,
        '<bpmn:userTask id="extra_check" name="加强核查">',
        '<bpmn:scriptTask id="extra_check" name="加强核查">',
    )
    replace(
        folder,
        BPMN,
        "<bpmn:outgoing>f_extra_merge</bpmn:outgoing>\n    </bpmn:userTask>",
        f"<bpmn:outgoing>f_extra_merge</bpmn:outgoing>\n      <bpmn:script>{script}"
        "</bpmn:script>\n    </bpmn:scriptTask>",
    )


def problems_of(source) -> list[Problem]:
    with pytest.raises(PackageInvalid) as caught:
        load_package(source)
    assert caught.value.problems
    return caught.value.problems


def assert_problem(problems: list[Problem], file: str, element: str | None, fragment: str):
    assert any(
        p.file == file and p.element == element and fragment in p.message for p in problems
    ), "\n".join(map(str, problems))


def zip_bytes(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def folder_entries(folder: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# -- valid packages -------------------------------------------------------------


def test_valid_package_loads_with_everything_the_engine_needs():
    pkg = load_package(VALID)
    assert isinstance(pkg, MatterPackage)
    assert (pkg.key, pkg.title["zh"], pkg.process_id) == ("test-permit", "测试许可", "test_permit")
    assert pkg.bpmn_files == [BPMN] and pkg.dmn_files == [DMN]
    assert set(pkg.files) == {MATTER, BPMN, DMN, "form.json"}
    assert pkg.files[BPMN] == (VALID / BPMN).read_bytes()
    assert pkg.settings.calendar == "CN" and pkg.settings.promised == {"workdays": 5}
    assert pkg.settings.lead_department == "lead"
    assert set(pkg.settings.departments) == {"lead", "dept_a", "dept_b"}
    assert pkg.settings.acceptance == "accept"  # default: the lead lane's first user task
    assert {t: i.department for t, i in pkg.user_tasks.items()} == {
        "accept": "lead",
        "review_a": "dept_a",
        "review_b": "dept_b",
        "extra_check": "lead",
        "issue": "lead",
    }
    assert pkg.user_tasks["review_a"].name == "甲审查"
    assert pkg.lane_ids_by_name == {"牵头部门": "lead", "部门甲": "dept_a", "部门乙": "dept_b"}
    assert pkg.settings.task("review_a").due == {"workdays": 2}
    assert [m["id"] for m in pkg.settings.materials] == ["id_card", "plan_doc"]
    assert pkg.form_schema["properties"]["applicant"]["type"] == "object"
    assert pkg.raw["key"] == "test-permit"


def test_zip_and_folder_zip_load_like_the_directory():
    flat = load_package(zip_bytes(folder_entries(VALID)))
    nested = load_package(zip_bytes(folder_entries(VALID, "test-permit/")))
    assert flat.files == nested.files == load_package(VALID).files


def test_pair_of_matter_dir_and_bpmn_dir(tmp_path):
    matter_dir, bpmn_dir = tmp_path / "processes" / "test-permit", tmp_path / "bpmn"
    matter_dir.mkdir(parents=True)
    bpmn_dir.mkdir()
    for name in (MATTER, "form.json"):
        shutil.copy(VALID / name, matter_dir / name)
    for name in (BPMN, DMN):
        shutil.copy(VALID / name, bpmn_dir / name)
    (bpmn_dir / "unrelated.bpmn").write_text("<not even xml")
    pkg = load_package((matter_dir, bpmn_dir))
    assert set(pkg.files) == {MATTER, "form.json", BPMN, DMN}


def test_explicit_acceptance(package):
    edit_yaml(package, lambda raw: raw.update(acceptance="issue"))
    assert load_package(package).settings.acceptance == "issue"


def test_no_acceptance_task_when_the_lead_lane_has_no_user_task(package):
    replace(
        package,
        BPMN,
        '<bpmn:lane id="dept_a"',
        '<bpmn:lane id="registry" name="登记处" />\n      <bpmn:lane id="dept_a"',
    )

    def lead_registry(raw):
        raw["departments"]["lead"]["lead"] = False
        raw["departments"]["registry"] = {"name": {"zh": "登记处"}, "lead": True}

    edit_yaml(package, lead_registry)
    pkg = load_package(package)
    assert pkg.settings.lead_department == "registry" and pkg.settings.acceptance is None


def test_materials_for_a_form():
    pkg = load_package(VALID)
    ids = lambda form: [m["id"] for m in pkg.settings.materials_for(form)]  # noqa: E731
    assert ids({"applicant": {"size": 20}}) == ["id_card", "plan_doc"]
    assert ids({"applicant": {"size": 2}}) == ["id_card"]
    assert ids({}) == ["id_card", "plan_doc"]  # cannot tell: ask for it


def test_binary_files_are_refused(package):
    (package / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert_problem(problems_of(package), "logo.png", None, "not UTF-8")


def test_camunda_modeler_file_is_accepted_and_runs():
    pkg = load_package(CAMUNDA)
    assert pkg.settings.acceptance == "Activity_accept"
    spec, subprocess_specs = build_specs(pkg)
    workflow = BpmnWorkflow(
        spec, subprocess_specs, script_engine=make_script_engine({"amount": 5000})
    )
    workflow.do_engine_steps()
    _complete(workflow, "Activity_accept")
    assert _ready(workflow) == ["Activity_expert"]  # camunda:decisionRef decided "expert"


def test_examples_shipped_with_the_repository_load():
    root = Path(__file__).resolve().parents[2]
    for matter_dir in sorted((root / "processes").iterdir()):
        if (matter_dir / MATTER).exists():
            pkg = load_package((matter_dir, root / "bpmn"))
            if pkg.settings.kind == "request":  # accepted at intake
                assert pkg.settings.acceptance is None and pkg.settings.request.handle
            else:
                assert pkg.settings.acceptance in pkg.user_tasks


# -- running what the process parser builds ---------------------------------------------


def _ready(workflow) -> list[str]:
    return sorted(
        t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)
    )


def _complete(workflow, task_id: str, variables: dict | None = None, output=None) -> None:
    task = next(
        t
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        if t.task_spec.bpmn_id == task_id
    )
    if variables is not None:
        variables[task_id] = output or {}
        workflow.script_engine = make_script_engine(variables)
    task.run()
    workflow.do_engine_steps()
    workflow.refresh_timers()
    workflow.do_engine_steps()


@pytest.mark.parametrize(
    "size, path",
    [
        (20, ["accept", "review_a+review_b", "extra_check", "issue"]),
        (3, ["accept", "review_a+review_b", "issue"]),
    ],
)
def test_spec_runs_with_the_form_injected_not_in_task_data(size, path):
    pkg = load_package(VALID)
    spec, subprocess_specs = build_specs(pkg)
    variables = {"applicant": {"name": "张三", "size": size}}
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(variables))
    workflow.do_engine_steps()
    walked = []
    while not workflow.completed:
        ready = _ready(workflow)
        walked.append("+".join(ready))
        for task_id in ready:
            _complete(workflow, task_id, variables, {"ok": True})
    assert walked == path
    expected_risk = "high" if size >= 10 else "low"
    for task in workflow.get_tasks():
        assert "applicant" not in task.data and "review_a" not in task.data
    assert workflow.last_task.data == {"risk": expected_risk}


def test_runtime_sandbox_stops_a_bomb_that_passes_the_static_check(package):
    replace(package, BPMN, "applicant['size'] >= 10", "'a' * 10**10 == ''")
    spec, subprocess_specs = build_specs(load_package(package))
    variables = {"applicant": {"name": "张三", "size": 1}}
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(variables))
    workflow.do_engine_steps()
    _complete(workflow, "accept", variables)
    _complete(workflow, "review_a", variables)
    with pytest.raises(WorkflowException, match="Error evaluating expression"):
        _complete(workflow, "review_b", variables)


def test_dmn_cells_run_in_the_sandbox(package):
    replace(package, DMN, "<text>'high'</text>", "<text>'x' * 10**10</text>")
    spec, subprocess_specs = build_specs(load_package(package))
    variables = {"applicant": {"name": "张三", "size": 50}}
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(variables))
    workflow.do_engine_steps()
    with pytest.raises(WorkflowException) as caught:
        _complete(workflow, "accept", variables)
    assert caught.value.error_type == "SandboxError"
    assert isinstance(caught.value.__context__, SandboxError)


def test_script_task_writes_task_data_only(package):
    as_script_task(package, "note = 'big' if applicant['size'] &gt; 10 else 'small'")
    pkg = load_package(package)
    assert "extra_check" not in pkg.user_tasks
    spec, subprocess_specs = build_specs(pkg)
    variables = {"applicant": {"name": "张三", "size": 50}}
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(variables))
    workflow.do_engine_steps()
    for task_id in ("accept", "review_a", "review_b"):
        _complete(workflow, task_id, variables, {"ok": True})
    assert _ready(workflow) == ["issue"]
    issue = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    assert issue.data == {"risk": "high", "note": "big"}


# -- all problems at once --------------------------------------------------------


def test_five_problems_are_all_reported_with_file_and_element(package):
    def break_matter(raw):
        raw["key"] = "Test_Permit"
        raw["departments"]["dept_b"]["sees"] = ["applicant/nope"]
        raw["tasks"]["ghost"] = {"due": {"workdays": 1}}

    edit_yaml(package, break_matter)
    replace(package, BPMN, "applicant['size'] >= 10", "__import__('os').system('id')")
    replace(package, DMN, "<text>'high'</text>", "<text>open('/etc/passwd').read()</text>")
    problems = problems_of(package)
    assert len(problems) == 5, "\n".join(map(str, problems))
    assert_problem(problems, MATTER, "key", "[a-z0-9-]+")
    assert_problem(problems, MATTER, "departments.dept_b.sees[0]", "'applicant/nope'")
    assert_problem(problems, MATTER, "tasks.ghost", "not a user task")
    assert_problem(problems, BPMN, "f_big", "condition uses forbidden name '__import__'")
    assert_problem(problems, DMN, "entry_high_out", "forbidden name 'open'")
    assert all(
        p.to_json() == {"file": p.file, "element": p.element, "message": p.message}
        for p in problems
    )


BROKEN_MATTER = [
    (lambda raw: raw.pop("form"), "form", "required key 'form' is missing"),
    (lambda raw: raw.update(deadlines={}), "deadlines", "unknown key"),
    (lambda raw: raw.update(title={"en": "x"}), "title", "'zh'"),
    (lambda raw: raw["process"].update(file="missing.bpmn"), "process.file", "not in the package"),
    (lambda raw: raw["process"].update(id="nope"), "process.id", "no process 'nope'"),
    (lambda raw: raw.update(decisions=["gone.dmn"]), "decisions[0]", "not in the package"),
    (lambda raw: raw.update(calendar="Mars"), "calendar", "unknown calendar"),
    (
        lambda raw: raw["deadline"].update(promised={"workdays": -1}),
        "deadline.promised",
        "not a valid duration",
    ),
    (
        lambda raw: raw["deadline"].update(warn_before={"workdays": 1, "hours": 2}),
        "deadline.warn_before",
        "exactly one",
    ),
    (
        lambda raw: raw["tasks"]["review_b"].update(due={"iso": "P1X"}),
        "tasks.review_b.due",
        "not a valid duration",
    ),
    (
        lambda raw: raw["tasks"]["review_b"].update(form={"type": "objekt"}),
        "tasks.review_b.form",
        "not a valid JSON Schema",
    ),
    (
        lambda raw: raw["departments"]["dept_a"].update(lead=True),
        "departments",
        "exactly one department",
    ),
    (lambda raw: raw["departments"]["lead"].pop("lead"), "departments", "exactly one department"),
    (
        lambda raw: raw["departments"]["dept_a"].pop("name"),
        "departments.dept_a.name",
        "mapping of languages",
    ),
    (
        lambda raw: raw["departments"].update(dept_c={"name": {"zh": "丙"}}),
        "departments.dept_c",
        "no lane with id 'dept_c'",
    ),
    (lambda raw: raw.update(acceptance="review_a"), "acceptance", "not in the lead"),
    (lambda raw: raw.update(acceptance="nope"), "acceptance", "not a user task"),
    (
        lambda raw: raw["materials"].append({"id": "id_card", "title": {"zh": "重复"}}),
        "materials[2].id",
        "used twice",
    ),
    (lambda raw: raw["materials"].append({"id": "x"}), "materials[2].title", "mapping"),
    (
        lambda raw: raw["materials"][1].update(when="open('/etc/passwd')"),
        "materials[1].when",
        "forbidden name 'open'",
    ),
    (
        lambda raw: raw["materials"][1].update(when="applicant[''].__class__"),
        "materials[1].when",
        "forbidden attribute '__class__'",
    ),
]


@pytest.mark.parametrize("change, element, fragment", BROKEN_MATTER)
def test_broken_matter_yaml(package, change, element, fragment):
    edit_yaml(package, change)
    assert_problem(problems_of(package), MATTER, element, fragment)


def test_lane_that_is_not_a_department(package):
    edit_yaml(package, lambda raw: raw["departments"].pop("dept_b"))
    assert_problem(problems_of(package), BPMN, "dept_b", "not a department")


def test_user_task_outside_every_lane(package):
    replace(package, BPMN, "<bpmn:flowNodeRef>review_b</bpmn:flowNodeRef>", "")
    assert_problem(problems_of(package), BPMN, "review_b", "not in any lane")


def test_invalid_form_schema(package):
    (package / "form.json").write_text('{"type": "object", "properties": {"a": {"type": 5}}}')
    assert_problem(problems_of(package), "form.json", None, "not a valid JSON Schema")


def test_form_that_is_not_json(package):
    (package / "form.json").write_text("{nope")
    assert_problem(problems_of(package), "form.json", None, "not valid JSON")


def test_matter_yaml_that_is_not_yaml(package):
    (package / MATTER).write_text("key: [unclosed\n")
    assert_problem(problems_of(package), MATTER, None, "not valid YAML")


def test_yaml_alias_bomb(package):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (package / MATTER).write_text("\n".join(lines) + "\n")
    assert_problem(problems_of(package), MATTER, None, "expands to more than")


# -- BPMN and DMN expressions --------------------------------------------------------

BROKEN_XML = [
    (
        BPMN,
        "applicant['size'] >= 10",
        "().__class__.__bases__",
        "f_big",
        "condition uses forbidden attribute",
    ),
    (BPMN, "applicant['size'] >= 10", "${size > 10}", "f_big", "JUEL"),
    (
        BPMN,
        "applicant['size'] >= 10",
        "applicant['size'] >=",
        "f_big",
        "condition has a syntax error",
    ),
    (BPMN, '"PT0S"', "PT0S", "cooling_off", "must be a quoted string"),
    (BPMN, '"PT0S"', '"P1X"', "cooling_off", "is not a duration"),
    (BPMN, '"PT0S"', "__import__('time')", "cooling_off", "timer uses forbidden name"),
    (
        DMN,
        "<text>applicant['size']</text>",
        "<text>getattr(applicant, 'x')</text>",
        "input_size",
        "input expression uses forbidden name 'getattr'",
    ),
    (
        DMN,
        "<text>&lt; 10</text>",
        "<text>&lt; ().__class__</text>",
        "entry_low_in",
        "input entry of rule 1 uses forbidden attribute '__class__'",
    ),
    (
        DMN,
        "<text>'high'</text>",
        "<text>'x' * 10 if open else 1</text>",
        "entry_high_out",
        "output entry of rule 2 uses forbidden name 'open'",
    ),
]


@pytest.mark.parametrize("file, old, new, element, fragment", BROKEN_XML)
def test_forbidden_or_broken_expressions_name_the_element(
    package, file, old, new, element, fragment
):
    replace(package, file, old, new)
    assert_problem(problems_of(package), file, element, fragment)


def test_script_task_is_checked(package):
    as_script_task(package, "x = open('/etc/passwd').read()")
    assert_problem(
        problems_of(package), BPMN, "extra_check", "script uses forbidden name 'open' (line 1)"
    )


def test_spiff_validation_error_names_the_element(package):
    replace(
        package,
        BPMN,
        "<spiffworkflow:calledDecisionId>risk_decision",
        "<spiffworkflow:calledDecisionId>no_such_decision",
    )
    assert_problem(problems_of(package), BPMN, "classify", "No DMN Diagram available")


def test_dangling_flow_and_duplicate_ids(package):
    replace(
        package,
        BPMN,
        'sourceRef="start" targetRef="accept"',
        'sourceRef="start" targetRef="nowhere"',
    )
    replace(package, BPMN, '<bpmn:userTask id="issue"', '<bpmn:userTask id="extra_check"')
    problems = problems_of(package)
    assert_problem(problems, BPMN, "f_start", "target 'nowhere' is not an element")
    assert_problem(problems, BPMN, "extra_check", "two elements have this id")


def test_service_tasks_and_foreign_script_languages_are_refused(package):
    replace(
        package,
        BPMN,
        '<bpmn:userTask id="extra_check" name="加强核查">',
        '<bpmn:serviceTask id="extra_check" name="加强核查">',
    )
    replace(
        package,
        BPMN,
        "<bpmn:outgoing>f_extra_merge</bpmn:outgoing>\n    </bpmn:userTask>",
        "<bpmn:outgoing>f_extra_merge</bpmn:outgoing>\n    </bpmn:serviceTask>",
    )
    replace(
        package,
        BPMN,
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">',
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">',
    )
    problems = problems_of(package)
    assert_problem(problems, BPMN, "extra_check", "service tasks are not supported")
    assert_problem(problems, BPMN, "f_big", "language 'javascript' is not supported")


def test_bpmn_that_is_not_well_formed(package):
    replace(package, BPMN, "</bpmn:process>", "</bpmn:proces>")
    assert_problem(problems_of(package), BPMN, None, "not well-formed")


# -- hostile XML ----------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/">&xxe;</definitions>
"""


@pytest.mark.parametrize(
    "file, text",
    [
        (BPMN, BILLION_LAUGHS),
        (DMN, EXTERNAL_ENTITY),
        (BPMN, '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.com/x.dtd"><x/>'),
    ],
)
def test_dtds_and_entities_are_refused(package, file, text):
    (package / file).write_text(text)
    assert_problem(problems_of(package), file, None, "DTD")


def test_parse_xml_refuses_dtds_and_oversized_files():
    with pytest.raises(XmlRefused, match="DTD"):
        parse_xml(BILLION_LAUGHS.encode())
    with pytest.raises(XmlRefused, match="limit"):
        parse_xml(b"<x>" + b"a" * 100 + b"</x>", limit=50)
    assert parse_xml(b"<x><y/></x>").tag == "x"


# -- hostile zips ----------------------------------------------------------------


def test_zip_path_traversal_and_absolute_names_are_refused():
    entries = folder_entries(VALID)
    entries["../evil.txt"] = b"x"
    entries["/etc/cron.d/evil"] = b"x"
    problems = problems_of(zip_bytes(entries))
    assert_problem(problems, "../evil.txt", None, "unsafe file name")
    assert_problem(problems, "/etc/cron.d/evil", None, "unsafe file name")


def test_zip_bomb_is_refused_without_inflating_it():
    entries = folder_entries(VALID)
    entries["bomb.bin"] = b"\0" * (30 * 1024 * 1024)
    data = zip_bytes(entries)
    assert len(data) < 100_000
    assert_problem(problems_of(data), "<package>", None, "unpacks to")


def test_zip_entry_that_inflates_suspiciously_is_refused():
    entries = folder_entries(VALID)
    entries["padding.bin"] = b"\0" * (1536 * 1024)
    assert_problem(problems_of(zip_bytes(entries)), "padding.bin", None, "zip bomb")


def test_zip_with_too_many_files():
    entries = folder_entries(VALID)
    entries.update({f"junk/{i}.txt": b"" for i in range(300)})
    assert_problem(problems_of(zip_bytes(entries)), "<package>", None, "holds 30")


def test_not_a_zip_and_no_matter_yaml():
    assert_problem(problems_of(b"PK but not really"), "<package>", None, "not a valid zip")
    entries = folder_entries(VALID)
    entries.pop(MATTER)
    assert_problem(problems_of(zip_bytes(entries)), MATTER, None, "no matter.yaml")


def test_package_invalid_message_summarises():
    error = PackageInvalid([Problem("a.bpmn", "Flow_1", "bad"), Problem("matter.yaml", None, "x")])
    assert "a.bpmn: Flow_1: bad" in str(error) and "matter.yaml: x" in str(error)


def build_specs(package):
    """The process's specs as the engine builds them for a deployed package."""
    return _build_specs(package.files, package.bpmn_files, package.dmn_files, package.process_id)
