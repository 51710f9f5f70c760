"""Running instances: start, claim, complete, advance to the next wait state.

One call = one step in the caller's transaction: lock the instance, run the engine, write state, human
tasks and events (and whatever synchronous service tasks changed in the domain). Nothing here commits.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, FlowdeskError, Forbidden, InvalidInput, NotFound
from engine import deployment, history, messages, outbound, starts, store, timers
from engine.durations import parse_duration
from engine.forms import decimalize, validate_form_data
from engine.history import EventType, to_jsonable
from engine.metrics_facets import record_facets
from engine.models import HumanTask, InstanceStatus, Job, ProcessDefinition, ProcessInstance, TaskStatus
from engine.script_engine import StepContext
from engine.spiff import FlowdeskServiceTask, Serializer

OPENED_KEY = "flowdesk_opened_tasks"  # human tasks opened by steps of this session


class StepFailed(FlowdeskError):
    """The engine could not reach the next wait state; the whole step is rolled back."""

    code = "step_failed"


class Actor:
    """Who acts: a username and the groups that decide which tasks they may work."""

    def __init__(self, username: str, groups: set[str] | frozenset[str] = frozenset(), admin: bool = False,
                 read_only: bool = False) -> None:
        self.username = username
        self.groups = set(groups)
        self.admin = admin
        self.read_only = read_only  # auditors: see everything, change nothing

    def may_work(self, task: HumanTask) -> bool:
        if self.read_only:
            return False
        return self.admin or task.candidate_group is None or task.candidate_group in self.groups


# Built once: hot statements keep their compiled form and cache key between steps.
_INSTANCE = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .execution_options(populate_existing=True)
)
_LOCKED_INSTANCE = _INSTANCE.with_for_update()
_TASK_WITH_INSTANCE = (
    select(ProcessInstance, HumanTask)
    .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
    .where(HumanTask.id == bindparam("task_id"))
    .execution_options(populate_existing=True)
)
_TASK_WITH_LOCKED_INSTANCE = _TASK_WITH_INSTANCE.with_for_update(of=ProcessInstance)
_OPEN_TASKS = (
    select(HumanTask)
    .where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.status == TaskStatus.OPEN)
    .order_by(HumanTask.created_at, HumanTask.id)
)


def lock_instance(*, session: Session, instance_id: int) -> ProcessInstance:
    """The instance row, re-read and locked (FOR UPDATE on PostgreSQL; SQLite serializes writers)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    instance = session.scalar(_INSTANCE if sqlite else _LOCKED_INSTANCE, {"instance_id": instance_id})
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found", code="instance_not_found")
    return instance


def _unwrap(exc: Exception) -> Exception:
    inner = getattr(exc, "exception", None)
    return inner if isinstance(inner, Exception) else exc


def _step_error(exc: Exception, running: Any = None) -> FlowdeskError:
    task = getattr(exc, "task", None) or running
    where = ""
    if task is not None and getattr(task.task_spec, "bpmn_id", None):
        where = f"{task.task_spec.bpmn_name or task.task_spec.bpmn_id} ({task.task_spec.bpmn_id}): "
    inner = _unwrap(exc)
    if isinstance(inner, FlowdeskError):
        return type(inner)(where + inner.message, code=inner.code, errors=inner.errors)
    return StepFailed(where + str(inner).split("\n")[0])


def _run_engine(ctx: StepContext, workflow: BpmnWorkflow) -> None:
    running: list[Any] = [None]

    def starting(task: Any) -> None:
        running[0] = task

    def completed(task: Any) -> None:
        spec = task.task_spec
        # One completion event per element: service tasks already wrote service_called, people task_completed.
        if spec.bpmn_id and task.has_state(TaskState.COMPLETED) and not isinstance(spec, FlowdeskServiceTask):
            history.record(
                session=ctx.session,
                type_=EventType.ELEMENT_COMPLETED,
                actor=ctx.actor,
                instance_id=ctx.instance_id,
                element_id=spec.bpmn_id,
                task_guid=str(task.id),
                data={"name": spec.bpmn_name or spec.bpmn_id, "type": spec.__class__.__name__},
            )

    try:
        workflow.do_engine_steps(will_complete_task=starting, did_complete_task=completed)
    except Exception as exc:  # domain errors, script errors, bugs: pin to the element, roll back the step
        raise _step_error(exc, running[0]) from exc


def _task_properties(task: Any) -> dict[str, str]:
    return dict(getattr(task.task_spec, "extensions", {}).get("properties", {}) or {})


COMPLETED_BY = "completed_by"  # task data: {element id: username of who completed it last}


def _assignment(task: Any, props: dict[str, str]) -> tuple[str | None, str | None]:
    """The task's assignee and candidate group from its `assignee`/`candidateGroup` expressions (None: not set,
    or the expression gave nothing); the lane's group applies when there is no candidate group expression."""
    found: list[str | None] = []
    for name in ("assignee", "candidateGroup"):
        expression = props.get(name)
        value = task.workflow.script_engine.evaluate(task, expression) if expression else None
        found.append(str(value)[:64] if value not in (None, "") else None)
    return found[0], found[1]


def _task_event(session: Session, type_: EventType, actor: str, task: HumanTask, data: dict[str, Any] | None = None
                ) -> None:
    """Record an event about one human task in its instance's history."""
    history.record(session=session, type_=type_, actor=actor, instance_id=task.instance_id,
                   element_id=task.element_id, task_guid=task.task_guid, data=data)


def _sync_human_tasks(ctx: StepContext, definition: store.DefinitionInfo, ready_tasks: list[Any]) -> None:
    """Open a row for each newly READY user/manual task; cancel rows whose task left READY without completing.

    Every READY manual task has an open row, so the rows open before the step are the READY tasks at load
    time: no query is needed unless something must be cancelled (an interrupting event, a cancelled branch).
    """
    ready = {str(t.id): t for t in ready_tasks}
    gone = ctx.open_before - set(ready) - ctx.closed
    if gone:
        for row in ctx.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == ctx.instance_id,
                HumanTask.task_guid.in_(gone),
                HumanTask.status == TaskStatus.OPEN,
            )
        ):
            row.status = TaskStatus.CANCELLED
            _task_event(ctx.session, EventType.TASK_CANCELLED, ctx.actor, row)
    for guid, task in ready.items():
        if guid in ctx.open_before:
            continue
        spec, props, now = task.task_spec, _task_properties(task), clock.now()
        lane = getattr(spec, "lane", None)
        assignee, group = _assignment(task, props)
        row = HumanTask(
            instance_id=ctx.instance_id,
            task_guid=guid,
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=lane,
            candidate_group=group or (definition.lane_groups.get(lane) if lane else None),
            assignee=assignee,
            claimed_at=now if assignee else None,
            form_file=props.get("formJsonSchemaFilename"),
            ui_form_file=props.get("formUiSchemaFilename"),
            created_at=now,
            due_at=now + parse_duration(props["dueIn"]) if props.get("dueIn") else None,
        )
        ctx.session.add(row)
        ctx.session.info.setdefault(OPENED_KEY, []).append(row)
        _task_event(ctx.session, EventType.TASK_READY, ctx.actor, row,
                    {"name": row.name, "candidate_group": row.candidate_group}
                    | ({"assignee": row.assignee} if row.assignee else {}))


def current_data(workflow: BpmnWorkflow, ready: list[Any] | None = None) -> dict[str, Any]:
    """The data a person sees now: the open task's, else the last completed task's."""
    if ready is None:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if ready:
        return dict(ready[0].data)
    if workflow.last_task is not None:
        return dict(workflow.last_task.data)
    return dict(workflow.data)


def _enqueue_async_services(ctx: StepContext, workflow: BpmnWorkflow) -> None:
    from engine import jobs

    for task in workflow.get_tasks(state=TaskState.STARTED):
        spec = task.task_spec
        if not (isinstance(spec, FlowdeskServiceTask) and spec.is_async):
            continue
        key = f"service:{ctx.instance_id}:{task.id}"
        if ctx.session.scalar(select(Job.id).where(Job.idempotency_key == key)) is not None:
            continue  # scheduled by an earlier step
        attempts, backoff = spec.retry_policy()
        job = jobs.enqueue(session=ctx.session, kind="service", key=key, instance_id=ctx.instance_id,
                           task_guid=str(task.id), max_attempts=attempts, backoff_seconds=backoff,
                           payload={"element_id": spec.bpmn_id})
        history.record(session=ctx.session, type_=EventType.JOB_SCHEDULED, actor=ctx.actor,
                       instance_id=ctx.instance_id, element_id=spec.bpmn_id, task_guid=str(task.id),
                       data={"kind": "service", "job_id": job.id, "operator": spec.operation_name})


def _finish_step(ctx: StepContext, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    info = store.definition_info(ctx.session, instance.definition_id)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    _sync_human_tasks(ctx, info, ready)
    if info.has_async_services:
        _enqueue_async_services(ctx, workflow)
    timers.schedule(ctx, workflow)
    messages.sync_subscriptions(ctx, instance, workflow)
    outbound.send_thrown(ctx, workflow)
    instance.state = store.dump(workflow)
    instance.serializer_version = Serializer.VERSION
    instance.variables = to_jsonable(current_data(workflow, ready))
    record_facets(ctx.session, instance.id, instance.variables)  # monitoring filters by customer, tier (#6)
    instance.updated_at = clock.now()
    if workflow.completed and instance.status == InstanceStatus.RUNNING:
        instance.status = InstanceStatus.COMPLETED
        instance.ended_at = clock.now()
        history.record(
            session=ctx.session, type_=EventType.INSTANCE_COMPLETED, actor=ctx.actor, instance_id=instance.id
        )
    ctx.session.flush()


def load_for_step(session: Session, instance: ProcessInstance, *, actor: str) -> tuple[StepContext, BpmnWorkflow]:
    """The context and workflow for one step on a locked instance."""
    ctx = StepContext(session=session, instance_id=instance.id, actor=actor)
    workflow = store.load(session, instance, ctx)
    ctx.open_before = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    return ctx, workflow


def advance(ctx: StepContext, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Run to the next wait state and persist state, human tasks, jobs and events."""
    _run_engine(ctx, workflow)
    _finish_step(ctx, instance, workflow)


def may_start(info: store.DefinitionInfo, actor: Actor) -> bool:
    """Whether the actor may start the process: the start event's lane group, or anyone if it has no lane."""
    if actor.read_only:
        return False
    return info.start_group is None or actor.admin or info.start_group in actor.groups


def startable(*, session: Session, actor: Actor) -> list[ProcessDefinition]:
    """The newest version of every process the actor may start by hand."""
    result = []
    for definition in deployment.list_latest(session=session):
        info = store.definition_info(session, definition.id)
        if info.manual_start and may_start(info, actor):
            result.append(definition)
    return result


def start_instance(
    *,
    session: Session,
    process_key: str,
    actor: Actor,
    business_key: str | None = None,
    variables: dict[str, Any] | None = None,
    start_timer: bool = False,
) -> ProcessInstance:
    """Start the newest version of process_key and run it to its first wait state."""
    definition = deployment.latest(session=session, key=process_key)
    if definition is None:
        raise NotFound(f"no deployed process {process_key!r}", code="process_not_found")
    info = store.definition_info(session, definition.id)
    if not (info.manual_start or start_timer):
        raise InvalidInput(f"{process_key} starts only by its message or timer start event, not by hand",
                           code="not_manually_startable")
    if not may_start(info, actor):
        raise Forbidden(f"{process_key} is started by the group {info.start_group!r}", code="not_allowed_to_start")
    # The start form belongs to the none start event: a timer start brings no data to check against it.
    schema = info.forms.get(definition.start_form) if definition.start_form and not start_timer else None
    data = decimalize(variables or {})
    if schema is not None:
        data = validate_form_data(schema, data)
    elif not isinstance(data, dict):
        raise InvalidInput("variables must be an object", code="invalid_variables")
    if business_key and session.scalar(
        select(ProcessInstance.id).where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.business_key == business_key,
            ProcessInstance.status.in_([InstanceStatus.RUNNING, InstanceStatus.SUSPENDED]),
        )
    ):
        raise Conflict(
            f"an instance of {process_key} with business key {business_key!r} is already running",
            code="duplicate_business_key",
        )
    instance = ProcessInstance(
        definition_id=definition.id,
        process_key=process_key,
        business_key=business_key,
        state="{}",
        serializer_version=Serializer.VERSION,
        started_by=actor.username,
        started_at=clock.now(),
    )
    session.add(instance)
    session.flush()
    if not instance.business_key:
        instance.business_key = f"{process_key.upper().replace('_', '-')}-{instance.id:06d}"
    ctx = StepContext(session=session, instance_id=instance.id, actor=actor.username)
    workflow = store.new_workflow(info, ctx)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data, business_key=instance.business_key)
    history.record(
        session=session,
        type_=EventType.INSTANCE_STARTED,
        actor=actor.username,
        instance_id=instance.id,
        data={
            "process_key": process_key,
            "version": definition.version,
            "business_key": instance.business_key,
            "variables": data,
        },
    )
    if start_timer:  # started by the definition's schedule: its timer start event fires now, once
        # Before any engine step (the start split's too): a cycle left to the library fires once per period since
        # its start date.
        timers.fire_start_event(workflow)
    starts.choose(workflow, starts.by_timer if start_timer else starts.by_hand)
    _run_engine(ctx, workflow)
    _finish_step(ctx, instance, workflow)
    return instance


def _locked_task(session: Session, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    """Lock the task's instance and read both in one statement: after the lock the task cannot change under us."""
    sqlite = session.get_bind().dialect.name == "sqlite"  # SQLite: BEGIN IMMEDIATE already serializes writers
    row = session.execute(_TASK_WITH_INSTANCE if sqlite else _TASK_WITH_LOCKED_INSTANCE, {"task_id": task_id}).first()
    if row is None:
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    instance, task = row
    return task, instance


def _require_open(task: HumanTask) -> None:
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is no longer open ({task.status})", code="task_not_open")


def _require_may_work(task: HumanTask, actor: Actor) -> None:
    if not actor.may_work(task):
        raise Forbidden(f"task {task.id} belongs to the group {task.candidate_group!r}", code="not_in_group")


def claim_task(*, session: Session, task_id: int, actor: Actor) -> HumanTask:
    """Assign an open task to the actor (claiming one's own task again is a no-op)."""
    task, _ = _locked_task(session, task_id)
    _require_open(task)
    _require_may_work(task, actor)
    if task.assignee == actor.username:
        return task
    if task.assignee is not None:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}", code="claimed_by_other")
    task.assignee, task.claimed_at = actor.username, clock.now()
    _task_event(session, EventType.TASK_CLAIMED, actor.username, task)
    return task


def unclaim_task(*, session: Session, task_id: int, actor: Actor) -> HumanTask:
    """Give a claimed task back to its group (the assignee or an admin)."""
    if actor.read_only:
        raise Forbidden("auditors change nothing", code="read_only")
    task, _ = _locked_task(session, task_id)
    _require_open(task)
    if task.assignee is None:
        return task
    if task.assignee != actor.username and not actor.admin:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}", code="claimed_by_other")
    previous, task.assignee, task.claimed_at = task.assignee, None, None
    _task_event(session, EventType.TASK_UNCLAIMED, actor.username, task, {"previous_assignee": previous})
    return task


def form_schema(session: Session, task: HumanTask) -> dict[str, Any] | None:
    """The JSON Schema of a task's form, from its definition version."""
    if not task.form_file:
        return None
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    return store.definition_info(session, instance.definition_id).forms.get(task.form_file)


def complete_task(*, session: Session, task_id: int, actor: Actor, data: dict[str, Any]) -> HumanTask:
    """Complete an open task with validated form data and run to the next wait state. Exactly once."""
    task, instance = _locked_task(session, task_id)
    _require_open(task)
    _require_may_work(task, actor)
    if task.assignee not in (None, actor.username):
        raise Conflict(f"task {task.id} is claimed by {task.assignee}", code="claimed_by_other")
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(f"instance {instance.id} is {instance.status}", code="instance_not_running")
    clean = validate_form_data(form_schema(session, task), decimalize(data))
    ctx, workflow = load_for_step(session, instance, actor=actor.username)
    ctx.closed.add(task.task_guid)
    spiff_task = workflow.get_task_from_id(UUID(task.task_guid))
    if spiff_task is None or not spiff_task.has_state(TaskState.READY):
        raise Conflict(f"task {task.id} is not ready in the workflow", code="task_not_open")
    changes = history.data_changes(spiff_task.data, clean)  # what the entered data changed, for the timeline
    spiff_task.data.update(clean)
    # Who completed each task, for later steps (an approval operator records its approver): completed_by[element]
    spiff_task.data[COMPLETED_BY] = {**(spiff_task.data.get(COMPLETED_BY) or {}), task.element_id: actor.username}
    task.status, task.completed_at, task.completed_by = TaskStatus.COMPLETED, clock.now(), actor.username
    task.assignee = task.assignee or actor.username
    _task_event(session, EventType.TASK_COMPLETED, actor.username, task,
                {"name": task.name, "form_data": clean, "changes": changes})
    try:
        spiff_task.run()
    except Exception as exc:  # e.g. a post-script: pin to the element, roll back the step
        raise _step_error(exc, spiff_task) from exc
    _run_engine(ctx, workflow)
    _finish_step(ctx, instance, workflow)
    return task


def _workable(row: HumanTask, actor: Actor) -> bool:
    return row.assignee == actor.username or (row.assignee is None and actor.may_work(row))


def next_task_for(*, session: Session, instance_id: int, actor: Actor) -> HumanTask | None:
    """The actor's next open task in an instance (assigned to them, or claimable by their groups).

    A task the actor's own step just opened comes first, without a query (the inbox's "next task" hop).
    """
    for row in session.info.get(OPENED_KEY, ()):
        if row.instance_id == instance_id and row.status == TaskStatus.OPEN and _workable(row, actor):
            return row
    rows = session.scalars(_OPEN_TASKS, {"instance_id": instance_id}).all()
    return next((row for row in rows if _workable(row, actor)), None)
