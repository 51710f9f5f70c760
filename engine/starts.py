"""Which start event starts an instance: the one its trigger names, never another.

SpiffWorkflow puts every top-level start event behind one split and lets the first one to fire win (the others are
cancelled by the join after them). A none start fires at once, so in a process that also has a message or timer
start it would win every time, even for an instance started by that message. Flowdesk therefore runs the split,
then cancels the start events the trigger does not use, before the engine takes its first step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

Trigger = Callable[[Any], bool]  # start event spec -> whether this trigger uses it
SPLIT_TASKS = ("Start", "StartEventSplit")


def by_hand(spec: Any) -> bool:
    return isinstance(spec.event_definition, NoneEventDefinition)


def by_timer(spec: Any) -> bool:
    return isinstance(spec.event_definition, TimerEventDefinition)


def by_message(name: str) -> Trigger:
    """The trigger of a start message called name."""
    return lambda spec: isinstance(spec.event_definition, MessageEventDefinition) and spec.event_definition.name == name


def choose(workflow: BpmnWorkflow, trigger: Trigger) -> None:
    """Keep only the start events the trigger uses (nothing to do for a process with one start event)."""
    starts = [t for t in workflow.get_tasks() if isinstance(t.task_spec, StartEvent) and t.workflow is workflow]
    if len(starts) < 2:
        return
    while (split := next((t for t in workflow.get_tasks(state=TaskState.READY)
                          if t.task_spec.name in SPLIT_TASKS and t.workflow is workflow), None)) is not None:
        split.run()
    for task in workflow.get_tasks():
        if (isinstance(task.task_spec, StartEvent) and task.workflow is workflow
                and not task.has_state(TaskState.FINISHED_MASK) and not trigger(task.task_spec)):
            task.cancel()
