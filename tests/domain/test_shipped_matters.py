"""The shipped example matters, checked file by file and walked with SpiffWorkflow.

Standalone on purpose: it reads `processes/<key>/` and `bpmn/` directly (not
through the engine's loader) so that a broken example is reported against the
example itself. For each matter it checks

- the package: matter.yaml fields, the form schema, the example form, the
  per-task output schemas, `sees` paths, deadlines that fit the promise;
- the BPMN: one pool, one lane per department (lane id = department key, lane
  name = its Chinese name), every flow node in a lane, one lead, acceptance
  first and the lead's result last, parallel split/join, exclusive gateways
  with conditions and a default, business rule tasks calling a shipped DMN;
- the diagram: a shape for every element, an edge for every flow, no
  overlapping shapes, nodes inside their lanes, edges that do not cut through
  other shapes;
- every expression (gateway conditions, DMN cells, material `when`): sandbox
  safe, and reading only form fields, task outputs and decision results that
  exist;
- the behaviour: parsed with SpiffWorkflow's validating Spiff parser, walked
  to the end with sample forms and task outputs (here put into task data as
  plain variables; the engine supplies them its own way), with the parallel
  tasks ready together, both branches of every exclusive gateway reached, and
  the decision tables giving the expected results.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.domain.forms import merge_patch as _merge_patch

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
BPMN_DIR = ROOT / "bpmn"
KEYS = ["open-restaurant", "retirement", "property-transfer"]

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
FLOW_NODE_TAGS = (
    "startEvent",
    "endEvent",
    "userTask",
    "businessRuleTask",
    "task",
    "scriptTask",
    "manualTask",
    "serviceTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
)
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
SAFE_BUILTINS = {"len": len, "True": True, "False": False, "None": None}


def _q(tag: str) -> str:
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


# --------------------------------------------------------------------------
# Loading a matter
# --------------------------------------------------------------------------


@dataclass
class Matter:
    key: str
    definition: dict
    form_schema: dict
    example: dict
    bpmn_path: Path
    dmn_paths: list
    tree: etree._ElementTree

    @property
    def process_id(self) -> str:
        return self.definition["process"]["id"]

    @property
    def process(self):
        return self.tree.find(f".//bpmn:process[@id='{self.process_id}']", NS)

    def nodes(self, *tags):
        tags = tags or FLOW_NODE_TAGS
        return [el for tag in tags for el in self.process.findall(f"bpmn:{tag}", NS)]

    def node(self, node_id):
        el = self.process.find(f"*[@id='{node_id}']", NS)
        assert el is not None, f"{self.bpmn_path.name}: no element {node_id}"
        return el

    def flows(self):
        return self.process.findall("bpmn:sequenceFlow", NS)

    def outgoing(self, node_id):
        return [f for f in self.flows() if f.get("sourceRef") == node_id]

    def incoming(self, node_id):
        return [f for f in self.flows() if f.get("targetRef") == node_id]

    def lanes(self):
        return self.process.findall("bpmn:laneSet/bpmn:lane", NS)

    def lane_of(self) -> dict[str, str]:
        """flow node id -> lane id"""
        result = {}
        for lane in self.lanes():
            for ref in lane.findall("bpmn:flowNodeRef", NS):
                assert ref.text not in result, f"{ref.text} is in two lanes"
                result[ref.text] = lane.get("id")
        return result

    def user_task_ids(self) -> list[str]:
        return [el.get("id") for el in self.nodes("userTask")]

    def decisions(self) -> dict[str, etree._Element]:
        """DMN decision id -> its <decision> element"""
        found = {}
        for path in self.dmn_paths:
            for decision in etree.parse(str(path)).getroot().findall("dmn:decision", NS):
                found[decision.get("id")] = decision
        return found

    def decision_outputs(self) -> set[str]:
        return {
            out.get("name")
            for d in self.decisions().values()
            for out in d.findall("dmn:decisionTable/dmn:output", NS)
        }


@lru_cache(maxsize=None)
def load(key: str) -> Matter:
    folder = PROCESSES / key
    definition = yaml.safe_load((folder / "matter.yaml").read_text(encoding="utf-8"))
    form_schema = json.loads((folder / definition["form"]).read_text(encoding="utf-8"))
    example = json.loads((folder / "example-form.json").read_text(encoding="utf-8"))
    bpmn_path = BPMN_DIR / definition["process"]["file"]
    dmn_paths = [BPMN_DIR / name for name in definition.get("decisions", [])]
    return Matter(
        key, definition, form_schema, example, bpmn_path, dmn_paths, etree.parse(str(bpmn_path))
    )


@lru_cache(maxsize=None)
def parsed_spec(key: str):
    """Parse with the validating Spiff parser (XSD-checks BPMN and DMN)."""
    m = load(key)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(m.bpmn_path))
    parser.add_dmn_files([str(p) for p in m.dmn_paths])
    return parser.get_spec(m.process_id), parser.get_subprocess_specs(m.process_id)


def merge_patch(target, patch):
    """The engine's RFC 7396 patch, on a copy: the cached examples must not change."""
    return copy.deepcopy(_merge_patch(target, patch))


def schema_at(schema: dict, parts: list[str]):
    """The sub-schema at a path of property names, or None."""
    for part in parts:
        props = schema.get("properties") if isinstance(schema, dict) else None
        if not props or part not in props:
            return None
        schema = props[part]
    return schema


def leaf_fields(schema: dict, prefix=()) -> list[tuple]:
    props = schema.get("properties")
    if schema.get("type") == "object" and props:
        return [leaf for name, sub in props.items() for leaf in leaf_fields(sub, prefix + (name,))]
    return [prefix]


def form_errors(schema: dict, data) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(data)
    ]


def workdays(duration: dict) -> float:
    assert len(duration) == 1, duration
    ((unit, value),) = duration.items()
    assert unit in ("workdays", "workhours", "days", "hours", "iso"), duration
    if unit == "workdays":
        assert isinstance(value, int) and value >= 0
        return value
    if unit == "workhours":
        assert isinstance(value, (int, float)) and value > 0
        return value / 7
    if unit in ("days", "hours"):
        return value if unit == "days" else value / 24
    return 0


# --------------------------------------------------------------------------
# Sample data: task outputs and scenarios
# --------------------------------------------------------------------------

OUTPUTS = {
    key: json.loads((PROCESSES / key / "example-outputs.json").read_text("utf-8")) for key in KEYS
}


@dataclass
class Scenario:
    key: str
    name: str
    form_patch: dict
    output_patch: dict
    parallel: set  # user tasks ready together right after acceptance
    skipped: set  # user tasks this scenario must not reach
    decision: tuple  # (output variable, expected value)
    materials: set  # material ids that apply

    def __str__(self):
        return f"{self.key}:{self.name}"


SCENARIOS = [
    Scenario(
        "open-restaurant",
        "example",
        {},
        {},
        parallel={
            "license_review",
            "fire_check",
            "signboard_review",
            "env_registration",
            "tax_registration",
        },
        skipped={"site_inspection", "fire_recheck"},
        decision=("risk_level", "medium"),
        materials={
            "id_proof",
            "articles",
            "lease",
            "layout_plan",
            "food_safety_rules",
            "health_certs",
            "fire_commitment",
            "signboard_design",
            "fume_purifier",
        },
    ),
    Scenario(
        "open-restaurant",
        "raw-food-no-sign-fire-failed",
        {
            "food": {"category": "raw_food", "online_delivery": False},
            "signboard": {"needed": False, "text": None, "area_sqm": None},
        },
        {"fire_check": {"mode": "onsite", "passed": False, "opinion": "疏散通道堵塞，责令整改"}},
        parallel={"license_review", "fire_check", "env_registration", "tax_registration"},
        skipped={"signboard_review"},
        decision=("risk_level", "high"),
        materials={
            "id_proof",
            "articles",
            "lease",
            "layout_plan",
            "food_safety_rules",
            "health_certs",
            "fire_commitment",
        },
    ),
    Scenario(
        "open-restaurant",
        "individual-tea-shop",
        {
            "applicant_type": "individual",
            "business": {
                "name": "浦东新区小满茶饮店",
                "scope": "餐饮服务（自制饮品制售）",
                "registered_capital": None,
            },
            "shop": {"area": 35, "seats": 8, "owned": True},
            "food": {"category": "drinks"},
        },
        {},
        parallel={
            "license_review",
            "fire_check",
            "signboard_review",
            "env_registration",
            "tax_registration",
        },
        skipped={"site_inspection", "fire_recheck"},
        decision=("risk_level", "low"),
        materials={
            "id_proof",
            "property_cert",
            "layout_plan",
            "food_safety_rules",
            "health_certs",
            "fire_commitment",
            "signboard_design",
        },
    ),
    Scenario(
        "retirement",
        "example",
        {},
        {},
        parallel={"retirement_approval", "medical_check", "fund_withdrawal"},
        skipped={"special_review", "medical_topup"},
        decision=("review_level", "standard"),
        materials={"id_card", "personnel_file", "bank_card", "fund_withdrawal_form", "photo"},
    ),
    Scenario(
        "retirement",
        "special-job-no-fund-short-medical",
        {
            "applicant": {
                "name": "赵卫东",
                "birth_date": "1970-08-22",
                "id_number": "310110197008223026",
                "gender": "female",
            },
            "employment": {"position_type": "worker", "contribution_years": 30},
            "retirement": {
                "type": "special_job",
                "planned_date": "2026-12-01",
                "special_job_years": 10,
            },
            "medical": {"contribution_years": 18},
            "housing_fund": {"has_account": False, "account_no": None},
        },
        {"medical_check": {"years_counted": 18, "years_required": 25, "years_sufficient": False}},
        parallel={"special_review", "medical_check"},
        skipped={"fund_withdrawal"},
        decision=("review_level", "special"),
        materials={"id_card", "personnel_file", "special_job_proof", "bank_card", "photo"},
    ),
    Scenario(
        "property-transfer",
        "example",
        {},
        {},
        parallel={
            "mortgage_release",
            "tax_assessment",
            "water_transfer",
            "power_transfer",
            "gas_transfer",
        },
        skipped=set(),
        decision=("deed_tax_rate", 0.01),
        materials={
            "id_proofs",
            "property_cert",
            "sale_contract",
            "marital_status",
            "mortgage_release_request",
            "utility_bills",
            "gas_card",
        },
    ),
    Scenario(
        "property-transfer",
        "no-mortgage-no-gas-second-home",
        {
            "estate": {"area": 150, "mortgaged": False, "mortgagee": None},
            "seller": {"years_held": 9, "only_home": True},
            "buyer": {"family_home_count": 1},
            "utilities": {"gas": False, "gas_account": None},
        },
        {
            "tax_assessment": {
                "taxable_price": 4650000,
                "deed_tax": 93000,
                "vat": 0,
                "pit": 0,
                "paid": True,
            }
        },
        parallel={"transfer_review", "tax_assessment", "water_transfer", "power_transfer"},
        skipped={"mortgage_release", "gas_transfer"},
        decision=("deed_tax_rate", 0.02),
        materials={
            "id_proofs",
            "property_cert",
            "sale_contract",
            "marital_status",
            "only_home_statement",
            "utility_bills",
        },
    ),
]

# Decision tables alone: (matter, form patch, output variable, expected result)
DECISIONS = [
    ("open-restaurant", {"food": {"category": "cold_food"}}, "risk_level", "high"),
    (
        "open-restaurant",
        {"food": {"category": "hot_food"}, "shop": {"area": 650}},
        "risk_level",
        "high",
    ),
    (
        "open-restaurant",
        {"food": {"category": "hot_food"}, "shop": {"area": 500}},
        "risk_level",
        "medium",
    ),
    ("open-restaurant", {"food": {"category": "pastry"}}, "risk_level", "medium"),
    ("open-restaurant", {"food": {"category": "prepackaged"}}, "risk_level", "low"),
    ("retirement", {"employment": {"contribution_years": 12}}, "review_level", "special"),
    ("retirement", {"retirement": {"type": "illness"}}, "review_level", "special"),
    (
        "retirement",
        {"retirement": {"type": "flexible_early"}, "employment": {"contribution_years": 25}},
        "review_level",
        "standard",
    ),
    ("retirement", {"retirement": {"type": "flexible_late"}}, "review_level", "standard"),
    ("property-transfer", {"estate": {"usage": "non_residential"}}, "deed_tax_rate", 0.03),
    ("property-transfer", {"estate": {"area": 140}}, "deed_tax_rate", 0.01),
    ("property-transfer", {"estate": {"area": 140.5}}, "deed_tax_rate", 0.015),
    (
        "property-transfer",
        {"buyer": {"family_home_count": 1}, "estate": {"area": 90}},
        "deed_tax_rate",
        0.01,
    ),
    ("property-transfer", {"buyer": {"family_home_count": 3}}, "deed_tax_rate", 0.03),
]


# --------------------------------------------------------------------------
# Walking a process
# --------------------------------------------------------------------------


@dataclass
class Walk:
    done: list  # user task ids in completion order
    ready_sets: list  # the set of ready user tasks before each completion
    taken: dict  # exclusive gateway id -> set of flow targets taken
    data: dict  # the workflow's final data
    lanes: dict  # user task id -> spiff lane (name)


def start(key: str, form: dict) -> BpmnWorkflow:
    spec, subprocess_specs = parsed_spec(key)
    workflow = BpmnWorkflow(spec, subprocess_specs)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(form))
    workflow.do_engine_steps()
    return workflow


def walk(key: str, form: dict, outputs: dict) -> Walk:
    workflow = start(key, form)
    done, ready_sets, lanes = [], [], {}
    for _ in range(50):
        if workflow.completed:
            break
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        assert ready, f"{key}: stuck with no ready task after {done}"
        ready_sets.append({t.task_spec.bpmn_id for t in ready})
        task = sorted(ready, key=lambda t: t.task_spec.bpmn_id)[0]
        task_id = task.task_spec.bpmn_id
        lanes[task_id] = task.task_spec.lane
        task.data[task_id] = copy.deepcopy(outputs[task_id])
        task.run()
        workflow.do_engine_steps()
        done.append(task_id)
    assert workflow.completed, f"{key}: did not complete; done {done}"
    taken = {}
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if (
            task.task_spec.__class__.__name__ == "ExclusiveGateway"
            and len(task.task_spec.outputs) > 1
        ):
            taken.setdefault(task.task_spec.bpmn_id, set()).update(
                child.task_spec.bpmn_id
                for child in task.children
                if child.state == TaskState.COMPLETED
            )
    return Walk(done, ready_sets, taken, dict(workflow.data), lanes)


def scenario_form(s: Scenario) -> dict:
    return merge_patch(load(s.key).example, s.form_patch)


def scenario_outputs(s: Scenario) -> dict:
    return {**OUTPUTS[s.key], **copy.deepcopy(s.output_patch)}


@lru_cache(maxsize=None)
def walked(index: int) -> Walk:
    s = SCENARIOS[index]
    return walk(s.key, scenario_form(s), scenario_outputs(s))


# --------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------


def expressions(m: Matter) -> list[tuple[str, str]]:
    """(where, expression) for every expression the matter evaluates."""
    found = []
    for flow in m.flows():
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is not None:
            found.append((f"{m.bpmn_path.name}#{flow.get('id')}", cond.text.strip()))
    for decision_id, decision in m.decisions().items():
        for inp in decision.findall("dmn:decisionTable/dmn:input", NS):
            text = inp.find("dmn:inputExpression/dmn:text", NS).text.strip()
            found.append((f"{decision_id}#{inp.get('id')}", text))
    for material in m.definition.get("materials", []):
        if "when" in material:
            found.append((f"matter.yaml#materials/{material['id']}", material["when"]))
    return found


def subscript_path(node) -> tuple[str, list[str]] | None:
    """`shop['area']` / `shop.get('area')` chains -> ('shop', ['area'])."""
    keys = []
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            keys.insert(0, node.slice.value)
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.insert(0, node.args[0].value)
            node = node.func.value
        else:
            break
    return (node.id, keys) if isinstance(node, ast.Name) and keys else None


def check_expression(m: Matter, where: str, text: str) -> list[str]:
    problems = []
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return [f"{where}: not a Python expression: {exc}"]
    form_fields = set(m.form_schema["properties"])
    task_forms = {tid: (cfg or {}).get("form", {}) for tid, cfg in m.definition["tasks"].items()}
    known = form_fields | set(task_forms) | m.decision_outputs() | set(SAFE_BUILTINS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr != "get":
            problems.append(f"{where}: attribute access .{node.attr} is not allowed")
        if isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield)):
            problems.append(f"{where}: {type(node).__name__} is not allowed")
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                problems.append(f"{where}: dunder name {node.id}")
            elif node.id not in known:
                problems.append(f"{where}: unknown variable {node.id}")
        path = subscript_path(node) if isinstance(node, (ast.Subscript, ast.Call)) else None
        if path:
            root, keys = path
            schema = (
                task_forms.get(root)
                if root in task_forms
                else m.form_schema["properties"].get(root)
            )
            if schema is not None and schema_at(schema, keys) is None:
                problems.append(f"{where}: {root}/{'/'.join(map(str, keys))} is not a field")
    return problems


# --------------------------------------------------------------------------
# The package
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_matter_yaml(key):
    m = load(key)
    d = m.definition
    assert d["key"] == key and re.fullmatch(r"[a-z0-9-]+", key)
    assert CJK.search(d["title"]["zh"]) and d["title"]["en"]
    assert m.bpmn_path.exists() and m.bpmn_path.suffix == ".bpmn"
    assert d["form"] == "form.json"
    assert d["calendar"] == "CN"
    assert d["decisions"] and all(p.exists() and p.suffix == ".dmn" for p in m.dmn_paths)
    promised, statutory = d["deadline"]["promised"], d["deadline"]["statutory"]
    assert 0 < workdays(promised) < workdays(statutory)
    assert workdays(d["deadline"]["warn_before"]) < workdays(promised)
    # one lead, every department named in both languages
    departments = d["departments"]
    assert len(departments) >= 3
    assert [k for k, v in departments.items() if v.get("lead")] != []
    assert sum(1 for v in departments.values() if v.get("lead")) == 1
    for dept_key, dept in departments.items():
        assert SNAKE.match(dept_key), dept_key
        assert CJK.search(dept["name"]["zh"]) and dept["name"]["en"], dept_key
    # materials: unique ids, bilingual titles
    ids = [mat["id"] for mat in d["materials"]]
    assert len(ids) == len(set(ids)) and all(SNAKE.match(i) for i in ids)
    for mat in d["materials"]:
        assert CJK.search(mat["title"]["zh"]) and mat["title"]["en"], mat["id"]
    assert any("when" in mat for mat in d["materials"])


def test_file_names_unique_across_matters():
    names = []
    for key in KEYS:
        d = load(key).definition
        names += [d["process"]["file"], *d["decisions"]]
    assert len(names) == len(set(names))
    process_ids = [load(k).process_id for k in KEYS]
    assert len(process_ids) == len(set(process_ids))


def test_shared_departments_have_one_name():
    """Department keys are global: a key used by two matters must be the same department."""
    names = {}
    for key in KEYS:
        for dept_key, dept in load(key).definition["departments"].items():
            assert names.setdefault(dept_key, dept["name"]) == dept["name"], dept_key


@pytest.mark.parametrize("key", KEYS)
def test_form_schema_and_example(key):
    m = load(key)
    schema = m.form_schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["required"]
    assert 8 <= len(leaf_fields(schema)) <= 25, len(leaf_fields(schema))
    assert any(sub.get("type") == "object" for sub in schema["properties"].values())
    assert form_errors(schema, m.example) == []
    assert form_errors(schema, {}) != []


@pytest.mark.parametrize("key", KEYS)
def test_sees_paths_exist_in_form(key):
    m = load(key)
    for dept_key, dept in m.definition["departments"].items():
        assert dept.get("sees"), dept_key
        for path in dept["sees"]:
            assert schema_at(m.form_schema, path.split("/")) is not None, f"{dept_key}: {path}"


@pytest.mark.parametrize("key", KEYS)
def test_tasks_match_user_tasks(key):
    m = load(key)
    tasks = m.definition["tasks"]
    assert set(tasks) == set(m.user_task_ids())
    assert m.definition["acceptance"] in tasks
    for task_id, cfg in tasks.items():
        assert workdays(cfg["due"]) >= 0
        assert workdays(cfg["warn_before"]) <= max(workdays(cfg["due"]), 1), task_id
        Draft202012Validator.check_schema(cfg["form"])
        assert form_errors(cfg["form"], OUTPUTS[key][task_id]) == [], task_id


@pytest.mark.parametrize("key", KEYS)
def test_promised_limit_covers_the_longest_path(key):
    """From acceptance on, the slowest route through the task deadlines fits the promise."""
    m = load(key)
    tasks = m.definition["tasks"]
    acceptance = m.definition["acceptance"]
    memo = {}

    def longest(node_id):
        if node_id not in memo:
            own = (
                workdays(tasks[node_id]["due"]) if node_id in tasks and node_id != acceptance else 0
            )
            memo[node_id] = own + max(
                (longest(f.get("targetRef")) for f in m.outgoing(node_id)), default=0
            )
        return memo[node_id]

    assert longest(acceptance) <= workdays(m.definition["deadline"]["promised"])


# --------------------------------------------------------------------------
# The BPMN
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_pool_and_lanes_are_the_departments(key):
    m = load(key)
    participants = m.tree.findall(".//bpmn:collaboration/bpmn:participant", NS)
    assert len(participants) == 1 and participants[0].get("processRef") == m.process_id
    assert m.process.get("isExecutable") == "true"
    departments = m.definition["departments"]
    lanes = m.lanes()
    assert [lane.get("id") for lane in lanes] == list(departments)
    for lane in lanes:
        assert lane.get("name") == departments[lane.get("id")]["name"]["zh"]
    lane_of = m.lane_of()
    for node in m.nodes():
        assert node.get("id") in lane_of, f"{node.get('id')} is in no lane"
    # lead lane holds the acceptance and the final result
    lead = next(k for k, v in departments.items() if v.get("lead"))
    acceptance = m.definition["acceptance"]
    assert lane_of[acceptance] == lead
    start_events = m.nodes("startEvent")
    assert len(start_events) == 1
    first = m.outgoing(start_events[0].get("id"))
    assert [f.get("targetRef") for f in first] == [acceptance]
    for end in m.nodes("endEvent"):
        (last,) = m.incoming(end.get("id"))
        assert m.node(last.get("sourceRef")).tag == _q("bpmn:userTask")
        assert lane_of[last.get("sourceRef")] == lead


@pytest.mark.parametrize("key", KEYS)
def test_elements_are_named_and_wired(key):
    m = load(key)
    for node in m.nodes("userTask", "businessRuleTask"):
        assert SNAKE.match(node.get("id")), node.get("id")
        assert CJK.search(node.get("name") or ""), node.get("id")
    flow_ids = {f.get("id") for f in m.flows()}
    for node in m.nodes():
        node_id = node.get("id")
        incoming = {e.text for e in node.findall("bpmn:incoming", NS)}
        outgoing = {e.text for e in node.findall("bpmn:outgoing", NS)}
        assert incoming == {f.get("id") for f in m.incoming(node_id)}, node_id
        assert outgoing == {f.get("id") for f in m.outgoing(node_id)}, node_id
        assert incoming | outgoing <= flow_ids
        if node.tag != _q("bpmn:startEvent"):
            assert incoming, f"{node_id} is unreachable"
        if node.tag != _q("bpmn:endEvent"):
            assert outgoing, f"{node_id} is a dead end"


@pytest.mark.parametrize("key", KEYS)
def test_gateways(key):
    m = load(key)
    parallel = m.nodes("parallelGateway")
    assert any(len(m.outgoing(g.get("id"))) >= 3 for g in parallel), "no parallel split"
    assert any(len(m.incoming(g.get("id"))) >= 3 for g in parallel), "no parallel join"
    splits = [g for g in m.nodes("exclusiveGateway") if len(m.outgoing(g.get("id"))) > 1]
    assert splits
    form_fields = set(m.form_schema["properties"])
    reads_form = False
    for gateway in splits:
        default = gateway.get("default")
        assert default in {f.get("id") for f in m.outgoing(gateway.get("id"))}, gateway.get("id")
        for flow in m.outgoing(gateway.get("id")):
            cond = flow.find("bpmn:conditionExpression", NS)
            if flow.get("id") == default:
                assert cond is None, f"default flow {flow.get('id')} has a condition"
            else:
                assert cond is not None and cond.text.strip(), flow.get("id")
                names = {
                    n.id
                    for n in ast.walk(ast.parse(cond.text, mode="eval"))
                    if isinstance(n, ast.Name)
                }
                reads_form |= bool(names & form_fields)
            assert flow.get("name"), f"{flow.get('id')} has no label"
    assert reads_form, "no exclusive gateway reads the form"


@pytest.mark.parametrize("key", KEYS)
def test_business_rule_tasks_call_shipped_decisions(key):
    m = load(key)
    rule_tasks = m.nodes("businessRuleTask")
    assert rule_tasks
    decisions = m.decisions()
    for task in rule_tasks:
        called = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        assert called is not None and called.text in decisions, task.get("id")
    for decision_id, decision in decisions.items():
        table = decision.find("dmn:decisionTable", NS)
        assert table.get("hitPolicy") in ("UNIQUE", "FIRST"), decision_id
        outputs = table.findall("dmn:output", NS)
        assert outputs and all(o.get("name") for o in outputs)
        n_inputs = len(table.findall("dmn:input", NS))
        for rule in table.findall("dmn:rule", NS):
            cells = rule.findall("dmn:inputEntry", NS)
            assert len(cells) == n_inputs, rule.get("id")
            for cell in cells:
                text = (cell.find("dmn:text", NS).text or "").strip()
                if text in ("", "-"):
                    continue
                try:
                    ast.parse(text, mode="eval")
                except SyntaxError:
                    ast.parse(f"v {text}", mode="eval")  # a comparison cell: "> 150"
            for cell in rule.findall("dmn:outputEntry", NS):
                ast.literal_eval(cell.find("dmn:text", NS).text.strip())
    # a decision result must not shadow a form field or a task output
    clash = m.decision_outputs() & (set(m.form_schema["properties"]) | set(m.definition["tasks"]))
    assert not clash


@pytest.mark.parametrize("key", KEYS)
def test_expressions_are_safe_and_read_existing_fields(key):
    m = load(key)
    found = expressions(m)
    assert found
    problems = [p for where, text in found for p in check_expression(m, where, text)]
    assert problems == []


@pytest.mark.parametrize("key", KEYS)
def test_variables_do_not_shadow_builtins(key):
    """Form fields, task ids and decision results become expression variables; a name
    like `property` or `type` would shadow (or be refused as) a builtin in the sandbox."""
    m = load(key)
    names = set(m.form_schema["properties"]) | set(m.definition["tasks"]) | m.decision_outputs()
    assert not names & set(dir(builtins))


@pytest.mark.parametrize("key", KEYS)
def test_expressions_pass_the_engine_sandbox(key):
    sandbox = pytest.importorskip("engine.sandbox")
    m = load(key)
    problems = {where: sandbox.check_source(text, mode="eval") for where, text in expressions(m)}
    assert {where: p for where, p in problems.items() if p} == {}


# --------------------------------------------------------------------------
# The diagram
# --------------------------------------------------------------------------


def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(a)) for a in ("x", "y", "width", "height"))


def _overlap(a, b, gap=0.0):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + gap and bx < ax + aw + gap and ay < by + bh + gap and by < ay + ah + gap


def _inside(inner, outer):
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def _on_border(point, bounds, tol=1.0):
    x, y = point
    bx, by, bw, bh = bounds
    inside = bx - tol <= x <= bx + bw + tol and by - tol <= y <= by + bh + tol
    near_edge = min(abs(x - bx), abs(x - bx - bw), abs(y - by), abs(y - by - bh)) <= tol
    return inside and near_edge


def _segment_hits(p, q, bounds, margin=2.0):
    """Does the axis-parallel segment p-q pass through the interior of bounds?"""
    bx, by, bw, bh = bounds
    x1, x2 = sorted((p[0], q[0]))
    y1, y2 = sorted((p[1], q[1]))
    return x1 < bx + bw - margin and x2 > bx + margin and y1 < by + bh - margin and y2 > by + margin


@pytest.mark.parametrize("key", KEYS)
def test_diagram_is_complete_and_tidy(key):
    m = load(key)
    plane = m.tree.find(".//bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    collaboration = m.tree.find(".//bpmn:collaboration", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")
    shapes = {s.get("bpmnElement"): _bounds(s) for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {
        e.get("bpmnElement"): [
            (float(w.get("x")), float(w.get("y"))) for w in e.findall("di:waypoint", NS)
        ]
        for e in plane.findall("bpmndi:BPMNEdge", NS)
    }
    participant = m.tree.find(".//bpmn:participant", NS).get("id")
    nodes = [n.get("id") for n in m.nodes()]
    lanes = [lane.get("id") for lane in m.lanes()]
    for element in [participant, *lanes, *nodes]:
        assert element in shapes, f"no shape for {element}"
    assert set(edges) == {f.get("id") for f in m.flows()}
    # lanes stack inside the pool without overlapping; nodes sit inside their lane
    for lane in lanes:
        assert _inside(shapes[lane], shapes[participant]), lane
    for a in lanes:
        for b in lanes:
            assert a == b or not _overlap(shapes[a], shapes[b]), (a, b)
    lane_of = m.lane_of()
    for node in nodes:
        assert _inside(shapes[node], shapes[lane_of[node]]), f"{node} outside lane {lane_of[node]}"
        for other in nodes:
            assert node == other or not _overlap(shapes[node], shapes[other], gap=10), (node, other)
    # edges start on their source, end on their target, and cut through nothing else
    for flow in m.flows():
        points = edges[flow.get("id")]
        src, tgt = flow.get("sourceRef"), flow.get("targetRef")
        assert len(points) >= 2
        assert _on_border(points[0], shapes[src]), f"{flow.get('id')} does not leave {src}"
        assert _on_border(points[-1], shapes[tgt]), f"{flow.get('id')} does not reach {tgt}"
        for p, q in zip(points, points[1:]):
            assert p[0] == q[0] or p[1] == q[1], f"{flow.get('id')} has a diagonal segment"
            for node in nodes:
                if node not in (src, tgt):
                    assert not _segment_hits(p, q, shapes[node]), f"{flow.get('id')} crosses {node}"


# --------------------------------------------------------------------------
# Behaviour, with SpiffWorkflow
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_spiff_parses_with_lanes_and_decisions(key):
    m = load(key)
    spec, _ = parsed_spec(key)
    names = {dept["name"]["zh"]: dept_key for dept_key, dept in m.definition["departments"].items()}
    lane_of = m.lane_of()
    user_tasks = [ts for ts in spec.task_specs.values() if ts.__class__.__name__ == "UserTask"]
    assert {ts.bpmn_id for ts in user_tasks} == set(m.user_task_ids())
    for ts in user_tasks:
        # Spiff reports the lane by its *name*; the department key is the lane id
        assert ts.lane in names, f"{ts.bpmn_id}: lane {ts.lane!r} is not a department"
        assert names[ts.lane] == lane_of[ts.bpmn_id]
        assert ts.bpmn_name == m.node(ts.bpmn_id).get("name")
    rule_tasks = [
        ts for ts in spec.task_specs.values() if ts.__class__.__name__ == "BusinessRuleTask"
    ]
    assert rule_tasks and all(ts.lane in names for ts in rule_tasks)


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[str(s) for s in SCENARIOS])
def test_scenario_form_is_valid(index):
    s = SCENARIOS[index]
    m = load(s.key)
    assert form_errors(m.form_schema, scenario_form(s)) == []
    for task_id, output in scenario_outputs(s).items():
        assert form_errors(m.definition["tasks"][task_id]["form"], output) == [], task_id


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[str(s) for s in SCENARIOS])
def test_scenario_materials(index):
    s = SCENARIOS[index]
    form = scenario_form(s)
    needed = set()
    for material in load(s.key).definition["materials"]:
        when = material.get("when")
        if when is None or eval(
            compile(when, material["id"], "eval"),  # noqa: S307 - checked safe above
            {"__builtins__": SAFE_BUILTINS},
            dict(form),
        ):
            needed.add(material["id"])
    assert needed == s.materials


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[str(s) for s in SCENARIOS])
def test_scenario_walks_to_completion(index):
    s = SCENARIOS[index]
    m = load(s.key)
    w = walked(index)
    acceptance = m.definition["acceptance"]
    lead = next(k for k, v in m.definition["departments"].items() if v.get("lead"))
    lead_name = m.definition["departments"][lead]["name"]["zh"]
    # acceptance alone first, then the departments in parallel, the lead's result last
    assert w.ready_sets[0] == {acceptance}
    assert w.done[0] == acceptance
    assert w.ready_sets[1] == s.parallel, "parallel tasks were not all ready together"
    assert len({m.lane_of()[t] for t in s.parallel}) >= 2
    assert w.done[-1] == "issue_result" and w.ready_sets[-1] == {"issue_result"}
    assert w.lanes["issue_result"] == w.lanes[acceptance] == lead_name
    # every user task once at most, the skipped ones never
    assert len(w.done) == len(set(w.done))
    assert not (set(w.done) & s.skipped)
    assert set(w.done) == set(m.user_task_ids()) - s.skipped
    # every task ran in a lane that is a department
    names = {dept["name"]["zh"] for dept in m.definition["departments"].values()}
    assert set(w.lanes.values()) <= names
    # the decision's result is recorded under its output name, and each output under its task id
    variable, expected = s.decision
    assert w.data[variable] == expected
    for task_id in w.done:
        assert w.data[task_id] == scenario_outputs(s)[task_id]


@pytest.mark.parametrize("key", KEYS)
def test_every_exclusive_branch_is_reachable(key):
    m = load(key)
    taken: dict[str, set] = {}
    for index, s in enumerate(SCENARIOS):
        if s.key == key:
            for gateway, targets in walked(index).taken.items():
                taken.setdefault(gateway, set()).update(targets)
    widest = max(len({m.lane_of()[t] for t in s.parallel}) for s in SCENARIOS if s.key == key)
    assert widest >= 3, "no scenario has three departments working at once"
    for gateway in m.nodes("exclusiveGateway"):
        targets = {f.get("targetRef") for f in m.outgoing(gateway.get("id"))}
        if len(targets) > 1:
            assert taken.get(gateway.get("id")) == targets, gateway.get("id")


@pytest.mark.parametrize(
    "key,patch,variable,expected",
    DECISIONS,
    ids=[f"{k}:{v}={e}:{i}" for i, (k, _, v, e) in enumerate(DECISIONS)],
)
def test_decision_table(key, patch, variable, expected):
    m = load(key)
    form = merge_patch(m.example, patch)
    assert form_errors(m.form_schema, form) == []
    workflow = start(key, form)
    (accept,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    accept.data["accept"] = OUTPUTS[key]["accept"]
    accept.run()
    workflow.do_engine_steps()
    results = [
        t.data[variable]
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.__class__.__name__ == "BusinessRuleTask"
    ]
    assert results == [expected]
