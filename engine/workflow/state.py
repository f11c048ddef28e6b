"""Compact workflow state: the instance without its spec, as orjson bytes.

SpiffWorkflow's serializer writes the whole process spec into every saved
instance and parses it back on every load. Specs never change for a deployed
matter version, so we keep them parsed in memory (see `specs.py`) and store
only the task tree and its (small) data: smaller rows, less work per step.
"""
from __future__ import annotations

from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Like Spiff's converter, but the specs come from our cache, not the row."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None, script_engine=None):
        workflow = self.target_class(spec, subprocess_specs, script_engine=script_engine,
                                     deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpeclessWorkflowConverter
_registry = BpmnWorkflowSerializer.configure(_config)


def dump_state(workflow: BpmnWorkflow) -> bytes:
    return orjson.dumps(_registry.convert(workflow))


def load_state(blob: bytes, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    return _registry.restore(orjson.loads(blob), spec=spec, subprocess_specs=subprocess_specs,
                             script_engine=script_engine)
