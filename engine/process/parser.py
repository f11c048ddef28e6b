"""SpiffWorkflow's BPMN parser as onething runs it: specs from a package's files.

The XML is parsed safely (`xml_safety`) before SpiffWorkflow sees it, never
read from a path. Parallel gateways are parsed as our `ParallelJoin`;
business-rule tasks find their decision where Camunda Modeler writes it.
"""

from __future__ import annotations

import copy

from lxml import etree
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .joins import ParallelJoin
from .xml_safety import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NS = {"bpmn": BPMN_NS, "zeebe": ZEEBE_NS}


class _DecisionRefParser(BusinessRuleTaskParser):
    """Also finds the decision where Camunda Modeler writes it (7: camunda:decisionRef,
    8: zeebe:calledDecision), so such files run as drawn."""

    @staticmethod
    def get_decision_ref(node):
        ref = BusinessRuleTaskParser.get_decision_ref(node) or node.get(
            f"{{{CAMUNDA_NS}}}decisionRef"
        )
        if ref is None:
            called = node.find("bpmn:extensionElements/zeebe:calledDecision", NS)
            ref = called.get("decisionId") if called is not None else None
        return ref


class OnethingBpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("businessRuleTask"): (_DecisionRefParser, BusinessRuleTask),
        full_tag("parallelGateway"): (GatewayParser, ParallelJoin),
    }


def spiff_parser(
    bpmn: dict[str, etree._Element], dmn: dict[str, etree._Element], validate: bool = True
) -> OnethingBpmnParser:
    """A parser fed with already safely parsed trees (the XSD check runs on copies)."""
    parser = OnethingBpmnParser(validator=VALIDATOR if validate else None)
    for name, root in dmn.items():
        parser.add_dmn_xml(_copy(root), filename=name)
    for name, root in bpmn.items():
        parser.add_bpmn_xml(_copy(root), filename=name)
    return parser


def _copy(root: etree._Element) -> etree._Element:
    return copy.deepcopy(root)  # the XSD check rewrites some tags in place


def parse_specs(parser: OnethingBpmnParser, process_id: str):
    spec = parser.get_spec(process_id)
    return spec, parser.get_subprocess_specs(process_id)


def build_specs(
    files: dict[str, bytes], bpmn_files: list[str], dmn_files: list[str], process_id: str
):
    """(spec, subprocess_specs) for `BpmnWorkflow(spec, subprocess_specs, script_engine=...)`.

    The package was validated when it was deployed, so the XSD check is skipped here.
    """
    bpmn = {name: parse_xml(files[name]) for name in bpmn_files}
    dmn = {name: parse_xml(files[name]) for name in dmn_files}
    return parse_specs(spiff_parser(bpmn, dmn, validate=False), process_id)
