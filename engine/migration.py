"""Moving running instances from one deployed version of a process to another.

A check tells, per instance, whether it can move: its active elements (ready, waiting, started) must exist in the
target version, or the process owner maps them (source element id -> target element id of the same type). A
migration retargets the workflow's task tree at the target spec: tasks keep their ids, data and timer due times;
what was only predicted after an active task is predicted again from the target's flow, and completed steps that the
target no longer has are dropped from the tree (the history keeps them). Each instance migrates in its own savepoint,
under its lock and version check, and writes INSTANCE_MIGRATED into its history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from domain import clock
from domain.errors import FlowdeskError, InvalidInput, NotFound
from engine import history, runtime, store, timers
from engine.durations import parse_duration
from engine.history import EventType
from engine.migration_tree import droppable, is_active, resolve, retarget, type_of, workflow_pairs
from engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceStatus,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)
from engine.spiff import SERIALIZER

log = logging.getLogger(__name__)
STATE_NAMES = {TaskState.READY: "ready", TaskState.WAITING: "waiting", TaskState.STARTED: "started",
               TaskState.ERROR: "error", TaskState.FUTURE: "future"}
MAX_BATCH = 500


@dataclass(frozen=True)
class Problem:
    """Why an instance cannot move (a stable code and a sentence)."""

    code: str
    message: str
    element_id: str | None = None


@dataclass(frozen=True)
class ActiveElement:
    """An element an instance is at: where it would go in the target, or None if it is missing there."""

    id: str
    name: str
    type: str
    state: str
    target_id: str | None
    missing: bool  # its id does not exist in the target (mapped or not)
    suggestion: str | None = None  # a structurally aligned target element (SpiffWorkflow's SpecDiff), if any
    dropped: bool = False  # a waiting boundary event the target no longer has: the activity goes on without it


@dataclass
class InstanceCheck:
    """Whether one instance can move to the target version, and what it is at now."""

    instance_id: int
    business_key: str | None
    status: str
    version: int
    lock_version: int
    elements: list[ActiveElement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def can_move(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class MigrationResult:
    """What the batch did with one instance."""

    instance_id: int
    business_key: str | None
    moved: bool
    code: str = "moved"
    message: str = ""


@dataclass(frozen=True)
class TargetElement:
    """A flow element of the target version a missing element can be mapped to."""

    id: str
    name: str
    type: str


# ---------------------------------------------------------------- resolving specs


def _suggestions(workflow: Any, target_spec: Any) -> dict[str, str]:
    """SpiffWorkflow's structural alignment of removed specs (e.g. a renamed task between the same neighbours)."""
    try:
        spec_diff = SpecDiff(SERIALIZER.registry, workflow.spec, target_spec)
    except Exception:  # a guess only: an odd diagram must not break the check
        return {}
    return {old.name: new.name for old, new in spec_diff.alignment.items()
            if new is not None and old is not None and old.name != new.name}


def _elements(workflow: BpmnWorkflow, target: store.DefinitionInfo, mapping: dict[str, str]
              ) -> tuple[list[ActiveElement], list[Problem]]:
    """The active elements of a loaded workflow against the target, and what blocks the move."""
    elements: list[ActiveElement] = []
    problems: list[Problem] = []
    for wf, target_spec in workflow_pairs(workflow, target):
        active = [t for t in wf.tasks.values() if is_active(t)]
        if target_spec is None:
            if active:
                problems.append(Problem("subprocess_missing",
                                        f"the target has no subprocess {wf.spec.name!r}", wf.spec.name))
            continue
        guesses = _suggestions(wf, target_spec) if any(resolve(t.task_spec, target_spec, {}) is None
                                                        for t in active) else {}
        for task in active:
            elements_, problem = _element(task, target_spec, mapping, guesses)
            elements.extend(elements_)
            if problem is not None:
                problems.append(problem)
    return elements, problems


def _element(task: Any, target_spec: Any, mapping: dict[str, str], guesses: dict[str, str]
             ) -> tuple[list[ActiveElement], Problem | None]:
    spec = task.task_spec
    bpmn_id = spec.bpmn_id or spec.name
    found = resolve(spec, target_spec, mapping)
    missing = spec.name not in target_spec.task_specs
    dropped = found is None and bpmn_id not in mapping and droppable(task)
    element = ActiveElement(bpmn_id, spec.bpmn_name or bpmn_id, type_of(spec),
                            STATE_NAMES.get(task.state, str(task.state)), found.name if found else None, missing,
                            guesses.get(spec.name) if missing else None, dropped)
    shown = [element] if spec.bpmn_id else []  # structural specs (joins, splits) are not shown, only checked
    if dropped:
        return shown, None
    if found is None:
        if bpmn_id in mapping:
            return shown, Problem("mapping_target_missing",
                                  f"{bpmn_id} is mapped to {mapping[bpmn_id]}, which the target does not have", bpmn_id)
        return shown, Problem("element_missing", f"{bpmn_id} does not exist in the target and is not mapped", bpmn_id)
    if type_of(found) != type_of(spec):
        return shown, Problem("mapping_type_mismatch",
                              f"{bpmn_id} ({type_of(spec)}) cannot become {found.name} ({type_of(found)})", bpmn_id)
    return shown, None


# ---------------------------------------------------------------- check


def _definition(session: Session, definition_id: int) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"process definition {definition_id} not found", code="definition_not_found")
    return definition


def _instances(session: Session, target: ProcessDefinition, source_definition_id: int | None,
               instance_ids: list[int] | None) -> list[ProcessInstance]:
    """The instances a check or batch is about: all unfinished ones of a source version, or the given ids."""
    if source_definition_id is None and not instance_ids:
        raise InvalidInput("name a source version or instance ids", code="no_instances_selected")
    stmt = select(ProcessInstance).order_by(ProcessInstance.id)
    if instance_ids:
        if len(instance_ids) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} instances at a time", code="batch_too_large")
        stmt = stmt.where(ProcessInstance.id.in_(instance_ids))
    if source_definition_id is not None:
        source = _definition(session, source_definition_id)
        if source.key != target.key:
            raise InvalidInput(f"versions of different processes: {source.key} and {target.key}",
                               code="different_process")
        stmt = stmt.where(ProcessInstance.definition_id == source.id)
        if not instance_ids:
            stmt = stmt.where(ProcessInstance.status.in_([InstanceStatus.RUNNING, InstanceStatus.SUSPENDED]))
    found = list(session.scalars(stmt.limit(MAX_BATCH)))
    if instance_ids:
        missing = sorted(set(instance_ids) - {i.id for i in found})
        if missing:
            raise NotFound(f"process instances not found: {', '.join(map(str, missing))}",
                           code="instance_not_found")
    return found


def _status_problem(session: Session, instance: ProcessInstance, target: ProcessDefinition) -> Problem | None:
    if instance.process_key != target.key:
        return Problem("different_process", f"instance {instance.id} runs {instance.process_key}, not {target.key}")
    if instance.definition_id == target.id:
        return Problem("already_on_target", f"instance {instance.id} already runs v{target.version}")
    if instance.status == InstanceStatus.SUSPENDED:
        return Problem("instance_suspended", f"instance {instance.id} is suspended: resume it first")
    if instance.status != InstanceStatus.RUNNING:
        return Problem("instance_not_running", f"instance {instance.id} is {instance.status}")
    if session.scalar(select(Incident.id).where(Incident.instance_id == instance.id,
                                                Incident.status == IncidentStatus.OPEN).limit(1)) is not None:
        return Problem("incident_open", f"instance {instance.id} has an open incident: resolve it first")
    return None


def _check_one(session: Session, instance: ProcessInstance, target: ProcessDefinition, mapping: dict[str, str]
               ) -> InstanceCheck:
    source = store.definition_info(session, instance.definition_id)
    result = InstanceCheck(instance.id, instance.business_key, str(instance.status), source.version,
                           instance.lock_version)
    status_problem = _status_problem(session, instance, target)
    if status_problem is not None and status_problem.code in ("different_process", "instance_not_running"):
        result.problems.append(status_problem)
        return result  # a finished instance has nothing active to show
    workflow = store.load(session, instance, None)
    result.elements, problems = _elements(workflow, store.definition_info(session, target.id), mapping)
    result.problems = [status_problem, *problems] if status_problem else problems
    return result


def check(*, session: Session, target_definition_id: int, source_definition_id: int | None = None,
          instance_ids: list[int] | None = None, mapping: dict[str, str] | None = None) -> list[InstanceCheck]:
    """Per instance: whether it can move to the target version, its active elements and what blocks it."""
    target = _definition(session, target_definition_id)
    return [_check_one(session, i, target, dict(mapping or {}))
            for i in _instances(session, target, source_definition_id, instance_ids)]


def target_elements(*, session: Session, definition_id: int) -> list[TargetElement]:
    """The flow elements of a version (what a missing element can be mapped to), by id."""
    info = store.definition_info(session, definition_id)
    specs = [*info.spec.task_specs.values(),
             *(t for sp in info.subprocess_specs.values() for t in sp.task_specs.values())]
    return sorted((TargetElement(s.bpmn_id, s.bpmn_name or s.bpmn_id, type_of(s)) for s in specs if s.bpmn_id),
                  key=lambda e: e.id)


# ---------------------------------------------------------------- migrate


def _update_human_tasks(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
                        target: store.DefinitionInfo, actor: str) -> None:
    """Open task rows follow their task to the target element: name, lane, group, form, due; the assignee stays
    unless the task moved to another group."""
    by_guid = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                   HumanTask.status == TaskStatus.OPEN))
    for row in rows:
        task = by_guid.get(row.task_guid)
        if task is None:
            continue  # left READY: the step after the migration cancels it
        spec = task.task_spec
        props = dict(getattr(spec, "extensions", {}).get("properties", {}) or {})
        lane = getattr(spec, "lane", None)
        group = target.lane_groups.get(lane) if lane else None
        row.element_id, row.name, row.lane = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, lane
        row.form_file, row.ui_form_file = props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")
        row.due_at = row.created_at + parse_duration(props["dueIn"]) if props.get("dueIn") else None
        if row.assignee is not None and group != row.candidate_group:
            history.record(session=session, type_=EventType.TASK_UNCLAIMED, actor=actor, instance_id=instance.id,
                           element_id=row.element_id, task_guid=row.task_guid,
                           data={"previous_assignee": row.assignee, "reason": "migrated to another group"})
            row.assignee, row.claimed_at = None, None
        row.candidate_group = group


def _rederive_waits(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Timer jobs and message subscriptions of the source are dropped unless still right; the step after the
    migration schedules and subscribes from the target's waiting tasks."""
    keep = {f"timer:{instance.id}:{t.id}:{due.isoformat()}"
            for t in timers.waiting_timers(workflow) if (due := timers.due_time(t)) is not None}
    session.execute(update(Job).where(Job.instance_id == instance.id, Job.kind == "timer",
                                      Job.status == JobStatus.PENDING, Job.idempotency_key.not_in(keep))
                    .values(status=JobStatus.CANCELLED, finished_at=clock.now()))
    session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id))


def _migrate_one(session: Session, instance_id: int, target: ProcessDefinition, mapping: dict[str, str],
                 actor: runtime.Actor, expected_version: int | None) -> MigrationResult:
    instance = runtime.lock_instance(session=session, instance_id=instance_id)
    if expected_version is not None and instance.lock_version != expected_version:
        return MigrationResult(instance.id, instance.business_key, False, "instance_changed",
                               f"instance {instance.id} changed since the check: check again")
    checked = _check_one(session, instance, target, mapping)
    if not checked.can_move:
        first = checked.problems[0]
        return MigrationResult(instance.id, instance.business_key, False, first.code, first.message)
    source = store.definition_info(session, instance.definition_id)
    info = store.definition_info(session, target.id)
    ctx, workflow = runtime.load_for_step(session, instance, actor=actor.username)
    moved, dropped = retarget(workflow, info, mapping)
    instance.definition_id = target.id
    history.record(session=session, type_=EventType.INSTANCE_MIGRATED, actor=actor.username, instance_id=instance.id,
                   definition_id=target.id,
                   data={"from_version": source.version, "to_version": info.version, "mapping": mapping,
                         "moved": moved, "dropped": dropped})
    _update_human_tasks(session, instance, workflow, info, actor.username)
    _rederive_waits(session, instance, workflow)
    runtime.advance(ctx, instance, workflow)
    return MigrationResult(instance.id, instance.business_key, True)


def migrate(*, session: Session, target_definition_id: int, actor: runtime.Actor,
            source_definition_id: int | None = None, instance_ids: list[int] | None = None,
            mapping: dict[str, str] | None = None, expected_versions: dict[int, int] | None = None
            ) -> list[MigrationResult]:
    """Move each instance to the target version in its own savepoint: one refusal or failure undoes only its own.

    expected_versions (instance id -> lock_version seen by the check) refuses instances that moved since.
    """
    target = _definition(session, target_definition_id)
    keys = {i.id: i.business_key for i in _instances(session, target, source_definition_id, instance_ids)}
    results = []
    for instance_id, business_key in keys.items():
        try:
            with session.begin_nested():
                result = _migrate_one(session, instance_id, target, dict(mapping or {}), actor,
                                      (expected_versions or {}).get(instance_id))
        except StaleDataError:
            result = MigrationResult(instance_id, business_key, False, "instance_changed",
                                     f"instance {instance_id} changed while it was migrated: check again")
        except FlowdeskError as exc:
            result = MigrationResult(instance_id, business_key, False, exc.code, exc.message)
        except Exception as exc:  # the engine choked on this instance (e.g. a timer expression): only it stays behind
            log.exception("migrating instance %s failed", instance_id)
            why = (str(exc).splitlines() or [type(exc).__name__])[0]
            result = MigrationResult(instance_id, business_key, False, "migration_failed",
                                     f"instance {instance_id} could not be migrated: {why}")
        results.append(result)
    return results
