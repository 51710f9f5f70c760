"""Retargeting a workflow's task tree at another version's spec: the surgery behind instance migration.

Tasks keep their ids, data and timer due times; predictions below active tasks are redone from the target's flow;
finished steps the target lacks are spliced out (the history keeps them); boundary events the target adds to an
active activity start waiting.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import runtime, store

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def type_of(spec: Any) -> str:
    """The element type as a person compares it: the spec class, with the event definition for events."""
    definition = getattr(spec, "event_definition", None)
    kind = type(spec).__name__
    return f"{kind}:{type(definition).__name__}" if definition is not None else kind


def resolve(spec: Any, target_spec: Any, mapping: dict[str, str]) -> Any | None:
    """The target spec a task of this spec moves to: the mapped element, the same id, or a structural spec
    (boundary split/join, end join) renamed after its mapped element; None if the target has none."""
    bpmn_id = getattr(spec, "bpmn_id", None)
    if bpmn_id and bpmn_id in mapping:
        return target_spec.task_specs.get(mapping[bpmn_id])
    found = target_spec.task_specs.get(spec.name)
    if found is not None:
        return found
    owner, dot, suffix = spec.name.rpartition(".")
    if dot and owner in mapping:
        return target_spec.task_specs.get(f"{mapping[owner]}.{suffix}")
    return None


def workflow_pairs(workflow: BpmnWorkflow, target: store.DefinitionInfo) -> Iterator[tuple[Any, Any]]:
    """(workflow or subworkflow, the target spec it moves to, or None if the target lacks that subprocess)."""
    yield workflow, target.spec
    for sub in workflow.subprocesses.values():
        yield sub, target.subprocess_specs.get(sub.spec.name)


def is_active(task: Any) -> bool:
    if task.has_state(ACTIVE):
        return True
    # FUTURE below a finished task is definite (it will run), unlike the predictions below an active task.
    parent = task.parent
    return bool(task.has_state(TaskState.FUTURE) and parent is not None and parent.has_state(TaskState.FINISHED_MASK))


def retarget(workflow: BpmnWorkflow, target: store.DefinitionInfo, mapping: dict[str, str]
              ) -> tuple[list[dict[str, str]], list[str]]:
    """Point the task tree at the target spec; the moved active elements (from -> to) and the dropped ones."""
    moved: list[dict[str, str]] = []
    dropped: list[str] = []
    workflow.subprocess_specs = target.subprocess_specs
    for sub_id, sub in list(workflow.subprocesses.items()):
        if sub.spec.name not in target.subprocess_specs:
            if any(is_active(t) for t in sub.tasks.values()):
                raise runtime.StepFailed(f"the target has no subprocess {sub.spec.name!r}")
            del workflow.subprocesses[sub_id]  # finished: nothing runs there any more
    for wf, target_spec in workflow_pairs(workflow, target):
        _retarget_tree(wf, target_spec, mapping, moved, dropped)
    return moved, dropped


def _retarget_tree(wf: Any, target_spec: Any, mapping: dict[str, str], moved: list[dict[str, str]],
                   dropped: list[str]) -> None:
    active = [t for t in wf.tasks.values() if is_active(t)]
    for task in active:  # predictions follow the source's flow: drop them, predict again below
        for child in task.children:
            if child.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE):
                wf._remove_task(child.id)
    wf.spec = target_spec
    active_ids = {t.id for t in active}
    for task in list(wf.tasks.values()):
        if task.id not in wf.tasks:
            continue
        old, new = task.task_spec, resolve(task.task_spec, target_spec, mapping)
        if new is None and droppable(task):
            wf.top_workflow.event_manager.remove_task(task)
            wf._remove_task(task.id)
            dropped.append(old.bpmn_id)
        elif new is None:
            _splice_out(wf, task)
        else:
            if task.id in active_ids:
                _keep_timer(task, old, new)
                if old.bpmn_id:
                    moved.append({"from": old.bpmn_id, "to": new.bpmn_id or new.name, "name": new.bpmn_name or ""})
            task.task_spec = new
    for task in active:
        if task.id in wf.tasks:
            _add_boundary_events(wf, task)
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
    if wf.last_task is not None and wf.last_task.id not in wf.tasks:
        wf.last_task = None


def droppable(task: Any) -> bool:
    """A waiting boundary event the target no longer has: the activity goes on without it."""
    return isinstance(task.task_spec, BoundaryEvent) and task.has_state(TaskState.WAITING)


def _add_boundary_events(wf: Any, task: Any) -> None:
    """Boundary events the target attaches to an active activity start waiting now (their timers start now).

    SpiffWorkflow puts a split before an activity with boundary events and a join after it that looks for that
    split, so an activity that started without one gets it inserted above it.
    """
    split = wf.spec.task_specs.get(f"{task.task_spec.name}.BoundaryEventSplit")
    if split is None or split not in task.task_spec.inputs or not task.has_state(TaskState.READY | TaskState.STARTED):
        return
    parent = task.parent
    if parent.task_spec is not split:
        above = Task(wf, split, None, state=TaskState.COMPLETED)
        above.data = copy.deepcopy(parent.data)
        above._parent, above._children = parent.id, [task.id]
        parent._children[parent._children.index(task.id)] = above.id
        task._parent, parent = above.id, above
    present = {c.task_spec for c in parent.children}
    for spec in split.outputs:
        if spec not in present:
            event = parent._add_child(spec, TaskState.WAITING)
            spec._update(event)
            spec._predict(event, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | event.state)


def _splice_out(wf: Any, task: Any) -> None:
    """Drop a finished step the target does not have: its children hang from its parent (the history keeps it)."""
    if not task.has_state(TaskState.FINISHED_MASK):
        raise runtime.StepFailed(f"{task.task_spec.name} is active and has no place in the target")
    parent = task.parent
    if parent is None:
        raise runtime.StepFailed("the target has no root for the task tree")
    position = parent._children.index(task.id)
    parent._children[position:position + 1] = task._children
    for child in task.children:
        child._parent = parent.id
    wf.tasks.pop(task.id)


def _keep_timer(task: Any, old: Any, new: Any) -> None:
    """A waiting timer keeps its due time; if the target changed its expression, it is evaluated again from now."""
    old_def, new_def = getattr(old, "event_definition", None), getattr(new, "event_definition", None)
    if not task.has_state(TaskState.WAITING) or new_def is None:
        return
    if getattr(old_def, "expression", None) != getattr(new_def, "expression", None):
        task.internal_data.pop("event_value", None)
        task.task_spec = new
        new._update(task)
