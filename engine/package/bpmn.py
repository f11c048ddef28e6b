"""The BPMN side of a package: lanes, human tasks, the flow graph, and specs.

SpiffWorkflow is only ever given XML that `xml_safety` parsed, never a path,
so it cannot be made to read files or expand entities. Foreign extension
attributes and elements (camunda:, zeebe:, bioc:, color:) are simply not
read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..process.parser import BPMN_NS, parse_specs, spiff_parser
from ..process.xml_safety import XmlRefused, parse_xml
from .model import Problems

NS = {"bpmn": BPMN_NS}
# The tasks SpiffWorkflow hands to people (`manual`): what the worklist shows.
HUMAN_TASKS = ("userTask", "manualTask", "task")
_CONTAINERS = ("subProcess", "transaction", "adHocSubProcess")


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def is_bpmn(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS


@dataclass
class ProcessModel:
    """What the package checks need from the BPMN process, read from the XML."""

    process_id: str
    lanes: dict[str, str | None] = field(default_factory=dict)  # lane id -> name
    lane_of: dict[str, str] = field(default_factory=dict)  # flow node id -> lane id
    human_tasks: dict[str, str] = field(default_factory=dict)  # id -> name
    task_lanes: dict[str, str | None] = field(default_factory=dict)  # id -> lane id
    edges: dict[str, list[str]] = field(default_factory=dict)
    starts: list[str] = field(default_factory=list)
    inner_starts: dict[str, list[str]] = field(default_factory=dict)  # subprocess -> starts
    node_ids: set[str] = field(default_factory=set)
    duplicate_ids: set[str] = field(default_factory=set)
    flows: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def parse_file(name: str, files: dict[str, bytes], problems: Problems) -> etree._Element | None:
    try:
        return parse_xml(files[name])
    except XmlRefused as exc:
        problems.add(name, None, str(exc))
        return None


def find_process(root: etree._Element, process_id: str) -> etree._Element | None:
    for process in root.iterfind("bpmn:process", NS):
        if process.get("id") == process_id:
            return process
    return None


def process_ids(root: etree._Element) -> list[str]:
    return [p.get("id") for p in root.iterfind("bpmn:process", NS) if p.get("id")]


def read_process(process: etree._Element) -> ProcessModel:
    model = ProcessModel(process.get("id"))
    _read_lanes(process, model)
    _read_nodes(process, model)
    return model


def _read_lanes(process: etree._Element, model: ProcessModel) -> None:
    """Departments are the innermost lanes: the ones without child lanes."""
    for lane in process.iterfind(".//bpmn:lane", NS):
        if lane.find("bpmn:childLaneSet/bpmn:lane", NS) is not None:
            continue
        lane_id = lane.get("id")
        model.lanes[lane_id] = lane.get("name")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            if ref.text and ref.text.strip():
                model.lane_of[ref.text.strip()] = lane_id


def _read_nodes(process: etree._Element, model: ProcessModel) -> None:
    for node in process.iter():
        if not is_bpmn(node):
            continue
        kind, node_id = local(node), node.get("id")
        if node_id:
            if node_id in model.node_ids:
                model.duplicate_ids.add(node_id)
            model.node_ids.add(node_id)
        if kind == "sequenceFlow":
            model.flows[node_id] = (node.get("sourceRef"), node.get("targetRef"))
            model.edges.setdefault(node.get("sourceRef"), []).append(node.get("targetRef"))
        elif kind == "boundaryEvent":
            model.edges.setdefault(node.get("attachedToRef"), []).append(node_id)
        elif kind == "startEvent":
            parent = node.getparent()
            if parent is process:
                model.starts.append(node_id)
            elif local(parent) in _CONTAINERS and parent.get("triggeredByEvent") != "true":
                model.inner_starts.setdefault(parent.get("id"), []).append(node_id)
        elif kind in HUMAN_TASKS and node_id:
            model.human_tasks[node_id] = (node.get("name") or node_id).strip()
            model.task_lanes[node_id] = _lane_of_node(node, model)


def check_references(model: ProcessModel, file: str, problems: Problems) -> bool:
    """Flows and lanes must point at elements of the process; True when they do.

    Checked here because SpiffWorkflow's own message for a dangling flow is
    misleading ("perhaps a form has the same ID?").
    """
    found = False
    for node_id in sorted(model.duplicate_ids):
        problems.add(file, node_id, "two elements have this id")
        found = True
    for flow_id, ends in model.flows.items():
        for role, target in zip(("source", "target"), ends):
            if target not in model.node_ids:
                problems.add(
                    file,
                    flow_id,
                    f"the flow's {role} {target!r} is not an element "
                    f"of process '{model.process_id}'",
                )
                found = True
    for node_id, lane_id in model.lane_of.items():
        if node_id not in model.node_ids:
            problems.add(
                file,
                lane_id,
                f"the lane lists {node_id!r}, which is not an element "
                f"of process '{model.process_id}'",
            )
            found = True
    return not found


def _lane_of_node(node: etree._Element, model: ProcessModel) -> str | None:
    """A node's lane, or the lane of the subprocess it sits in (as SpiffWorkflow does)."""
    while node is not None:
        lane = model.lane_of.get(node.get("id"))
        if lane is not None:
            return lane
        node = node.getparent()
        if node is not None and local(node) == "process":
            return None
    return None


def first_task_in_lane(model: ProcessModel, lane_id: str) -> str | None:
    """The first human task of `lane_id` reached from the start, walking sequence flows."""
    queue = deque(model.starts)
    seen: set[str] = set(queue)
    while queue:
        node = queue.popleft()
        if node in model.human_tasks and model.task_lanes.get(node) == lane_id:
            return node
        for following in model.inner_starts.get(node, []) + model.edges.get(node, []):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return None


# -- SpiffWorkflow --------------------------------------------------------------


def check_with_spiff(
    bpmn: dict[str, etree._Element],
    dmn: dict[str, etree._Element],
    process_id: str,
    process_file: str,
    problems: Problems,
) -> None:
    """Let SpiffWorkflow parse it all; report its complaint with the element it names."""
    try:
        parse_specs(spiff_parser(bpmn, dmn), process_id)
    except ValidationException as exc:
        file = exc.file_name or process_file
        message = str(exc.args[0]) if exc.args else str(exc)
        message = message.replace(f"{{{BPMN_NS}}}", "bpmn:")
        if exc.line_number:
            message = f"{message} (line {exc.line_number})"
        problems.add(file, exc.id or None, message)
    except Exception as exc:  # noqa: BLE001 - any parser crash is a problem to report
        problems.add(
            process_file,
            None,
            f"SpiffWorkflow cannot parse the process: {exc.__class__.__name__}: {exc}",
        )
