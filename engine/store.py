"""Loading and saving workflows: the spec comes from a per-process cache, the state from the instance row."""

from __future__ import annotations

import threading
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy.orm import Session

from engine.models import ProcessDefinition, ProcessInstance
from engine.script_engine import FlowdeskScriptEngine, StepContext
from engine.spiff import SERIALIZER

_specs: dict[int, tuple[Any, dict[str, Any]]] = {}
_lock = threading.Lock()


def spec_for(definition: ProcessDefinition) -> tuple[Any, dict[str, Any]]:
    """The parsed spec of a deployed version; definitions are immutable, so the cache never goes stale."""
    cached = _specs.get(definition.id)
    if cached is None:
        cached = SERIALIZER.spec_from_json(definition.spec_json)
        with _lock:
            _specs[definition.id] = cached
    return cached


def clear_cache() -> None:
    """Forget cached specs (tests that recreate the database)."""
    with _lock:
        _specs.clear()


def new_workflow(definition: ProcessDefinition, context: StepContext | None) -> BpmnWorkflow:
    """A fresh workflow of definition with our script engine attached."""
    spec, subprocess_specs = spec_for(definition)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=FlowdeskScriptEngine(context))


def load(session: Session, instance: ProcessInstance, context: StepContext | None) -> BpmnWorkflow:
    """The instance's workflow; our sandboxed script engine is re-attached (it is not serialized)."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    spec, subprocess_specs = spec_for(definition)
    workflow = SERIALIZER.state_from_json(instance.state, spec, subprocess_specs)
    workflow.script_engine = FlowdeskScriptEngine(context)
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow state as JSON, without its spec."""
    return SERIALIZER.state_to_json(workflow)
