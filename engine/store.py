"""Loading and saving workflows: the spec comes from a per-process cache, the state from the instance row."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session

from engine.models import ProcessDefinition, ProcessInstance
from engine.script_engine import FlowdeskScriptEngine, StepContext
from engine.spiff import SERIALIZER, FlowdeskServiceTask


@dataclass(frozen=True)
class DefinitionInfo:
    """What every step needs of a deployed version, parsed once. Definitions are immutable: never stale."""

    id: int
    key: str
    version: int
    spec: Any
    subprocess_specs: dict[str, Any]
    lane_groups: dict[str, str]
    forms: dict[str, Any]
    has_async_services: bool
    start_group: str | None  # the lane group of the start event: who may start it (None: anyone)
    manual_start: bool  # has a plain start event (not only message or timer starts)


_infos: dict[int, DefinitionInfo] = {}
_lock = threading.Lock()
_LOADED = "flowdesk_definitions_loaded"


def definition_info(session: Session, definition_id: int) -> DefinitionInfo:
    """The cached, parsed definition (one query on the first use in this process)."""
    info = _infos.get(definition_id)
    if info is None:
        d = session.get(ProcessDefinition, definition_id)
        if d is None:
            raise LookupError(f"process definition {definition_id} missing")
        spec, subprocess_specs = SERIALIZER.spec_from_json(d.spec_json)
        specs = [*spec.task_specs.values(), *(t for sp in subprocess_specs.values() for t in sp.task_specs.values())]
        has_async = any(isinstance(t, FlowdeskServiceTask) and t.is_async for t in specs)
        starts = [t for t in spec.task_specs.values() if isinstance(t, StartEvent)]
        manual_start = any(isinstance(t.event_definition, NoneEventDefinition) for t in starts)
        start_lanes = [t.lane for t in starts if t.lane]
        start_group = d.lane_groups.get(start_lanes[0]) if start_lanes else None
        info = DefinitionInfo(
            d.id, d.key, d.version, spec, subprocess_specs, dict(d.lane_groups), dict(d.forms), has_async, start_group,
            manual_start,
        )
        with _lock:
            _infos[definition_id] = info
        session.info.setdefault(_LOADED, set()).add(definition_id)
    return info


@listens_for(Session, "after_commit")
def _keep_loaded(session: Session) -> None:
    session.info.pop(_LOADED, None)


@listens_for(Session, "after_rollback")
@listens_for(Session, "after_soft_rollback")
def _evict_loaded(session: Session, *_: object) -> None:
    # A definition read in a transaction that rolled back may not exist, and its id may be reused.
    loaded = session.info.pop(_LOADED, set())
    with _lock:
        for definition_id in loaded:
            _infos.pop(definition_id, None)


def clear_cache() -> None:
    """Forget cached specs (tests that recreate the database)."""
    with _lock:
        _infos.clear()


def new_workflow(info: DefinitionInfo, context: StepContext | None) -> BpmnWorkflow:
    """A fresh workflow of a definition with our script engine attached."""
    return BpmnWorkflow(info.spec, info.subprocess_specs, script_engine=FlowdeskScriptEngine(context))


def load(session: Session, instance: ProcessInstance, context: StepContext | None) -> BpmnWorkflow:
    """The instance's workflow; our sandboxed script engine is re-attached (it is not serialized)."""
    info = definition_info(session, instance.definition_id)
    workflow = SERIALIZER.state_from_json(instance.state, info.spec, info.subprocess_specs)
    workflow.script_engine = FlowdeskScriptEngine(context)
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow state as JSON, without its spec."""
    return SERIALIZER.state_to_json(workflow)
