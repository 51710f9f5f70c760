"""The SpiffWorkflow pieces Flowdesk customises: parser, service-task spec, serializer.

Instances are serialized WITHOUT their spec: the spec of a deployed version is stored once
(process_definition.spec_json) and re-attached on load from an in-process cache.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from SpiffWorkflow.bpmn.parser.util import full_tag  # isort: skip


class FlowdeskServiceTask(ServiceTask):
    """A service task whose result keeps Decimals and dates (the library round-trips it through plain JSON)."""

    @property
    def is_async(self) -> bool:
        """Run as a job off the request path: the diagram says async=true, or the operator is registered async."""
        from engine import services

        props = (getattr(self, "extensions", None) or {}).get("properties", {}) or {}
        if str(props.get("async", "")).lower() in ("true", "1", "yes"):
            return True
        op = services.find_operator(self.operation_name)
        return bool(op and op.asynchronous)

    def retry_policy(self) -> tuple[int, float]:
        """(max attempts, first backoff in seconds): the diagram's spiff retries win over the operator's."""
        from engine import services

        op = services.find_operator(self.operation_name)
        retries = self.retries if self.retries is not None else (op.retries if op else 2)
        backoff = self.retry_backoff_base if self.retry_backoff_base is not None else (
            op.backoff_seconds if op else 2.0)
        return int(retries) + 1, float(backoff)

    def _execute(self, task: Any) -> bool | None:
        if self.is_async:
            return None  # the task stays STARTED; a job calls the operator and completes it
        engine = task.workflow.script_engine
        task.data[self.result_variable] = engine.call_operator(
            task, operation_name=self.operation_name, operation_params=self.evaluate_params(task)
        )
        return True


class FlowdeskParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, FlowdeskServiceTask),
    }


def new_parser() -> FlowdeskParser:
    """A parser that validates BPMN against the schema."""
    return FlowdeskParser(validator=VALIDATOR)


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the instance JSON; from_dict expects the spec objects injected."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs", {})
        if isinstance(spec, dict):  # a full serialization (tests, export): restore normally
            spec = self.registry.restore(spec)
            subprocess_specs = self.mapping_from_dict(subprocess_specs)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[FlowdeskServiceTask] = ServiceTaskConverter
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


class Serializer:
    """Workflow state <-> JSON (without spec); spec <-> JSON (stored once per definition)."""

    VERSION = "fd-1"

    def __init__(self) -> None:
        self._wf = BpmnWorkflowSerializer(registry=_build_registry())
        self.registry = self._wf.registry

    def spec_to_json(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        return json.dumps(
            {
                "spec": self.registry.convert(spec),
                "subprocess_specs": {k: self.registry.convert(v) for k, v in subprocess_specs.items()},
            }
        )

    def spec_from_json(self, text: str) -> tuple[Any, dict[str, Any]]:
        dct = json.loads(text)
        return (
            self.registry.restore(dct["spec"]),
            {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()},
        )

    def state_to_json(self, workflow: BpmnWorkflow) -> str:
        return self._wf.serialize_json(workflow)

    def state_from_json(self, text: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        dct = json.loads(text)
        dct.pop(BpmnWorkflowSerializer.VERSION_KEY, None)
        dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
        return self.registry.restore(dct)


SERIALIZER = Serializer()
