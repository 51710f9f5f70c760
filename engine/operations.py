"""Operating on instances: suspend, resume, cancel, reassign a task. Each locks the instance and is recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine import history, jobs
from engine.history import EventType
from engine.models import HumanTask, InstanceStatus, Job, JobStatus, MessageSubscription, ProcessInstance, TaskStatus
from engine.runtime import Actor, lock_instance


def _reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInput("give a reason: it goes into the instance's history", code="reason_required")
    return cleaned[:1000]


def _require(instance: ProcessInstance, *allowed: InstanceStatus) -> None:
    if instance.status not in allowed:
        raise Conflict(f"instance {instance.id} is {instance.status}", code="instance_state_conflict")


def suspend(*, session: Session, instance_id: int, actor: Actor, reason: str) -> ProcessInstance:
    """Stop an instance where it stands: tasks cannot be completed, its jobs wait, until it is resumed."""
    instance = lock_instance(session=session, instance_id=instance_id)
    _require(instance, InstanceStatus.RUNNING)
    instance.status, instance.updated_at = InstanceStatus.SUSPENDED, clock.now()
    history.record(session=session, type_=EventType.INSTANCE_SUSPENDED, actor=actor.username, instance_id=instance.id,
                   data={"reason": _reason(reason)})
    return instance


def resume(*, session: Session, instance_id: int, actor: Actor, reason: str = "") -> ProcessInstance:
    """Let a suspended instance continue; its waiting jobs are due again at once (timers keep their due time)."""
    instance = lock_instance(session=session, instance_id=instance_id)
    _require(instance, InstanceStatus.SUSPENDED)
    instance.status, instance.updated_at = InstanceStatus.RUNNING, clock.now()
    now = clock.now()
    pending = session.scalars(select(Job).where(Job.instance_id == instance.id, Job.status == JobStatus.PENDING))
    for job in pending:
        # A deferred job runs now; a timer goes back to its own due time (possibly already past).
        job.due_at = datetime.fromisoformat(job.payload["due"]) if job.kind == "timer" else now
        jobs.dispatch_after_commit(session, job.id)
    history.record(session=session, type_=EventType.INSTANCE_RESUMED, actor=actor.username, instance_id=instance.id,
                   data={"reason": (reason or "").strip()[:1000]})
    return instance


def cancel(*, session: Session, instance_id: int, actor: Actor, reason: str) -> ProcessInstance:
    """End an instance for good: open tasks are cancelled, jobs and message subscriptions dropped."""
    instance = lock_instance(session=session, instance_id=instance_id)
    _require(instance, InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)
    why = _reason(reason)
    now = clock.now()
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.status == TaskStatus.OPEN)):
        task.status = TaskStatus.CANCELLED
        history.record(session=session, type_=EventType.TASK_CANCELLED, actor=actor.username, instance_id=instance.id,
                       element_id=task.element_id, task_guid=task.task_guid, data={"reason": why})
    session.execute(update(Job).where(Job.instance_id == instance.id, Job.status == JobStatus.PENDING)
                    .values(status=JobStatus.CANCELLED, finished_at=now))
    session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
    instance.status, instance.ended_at, instance.updated_at = InstanceStatus.CANCELLED, now, now
    history.record(session=session, type_=EventType.INSTANCE_CANCELLED, actor=actor.username, instance_id=instance.id,
                   data={"reason": why})
    return instance


REASSIGNER_GROUP = "manager"  # besides admins


def may_reassign(actor: Actor) -> bool:
    """Admins and managers reassign tasks (auditors never)."""
    return not actor.read_only and (actor.admin or REASSIGNER_GROUP in actor.groups)


def require_reassigner(actor: Actor) -> None:
    """Forbidden unless the actor may reassign tasks."""
    if not may_reassign(actor):
        raise Forbidden("only admins and managers may reassign tasks", code="not_a_reassigner")


def reassign(*, session: Session, task_id: int, actor: Actor, to: Actor, reason: str = "") -> HumanTask:
    """Give an open human task to another person (admins and managers); recorded with who, from whom, to whom."""
    require_reassigner(actor)
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    lock_instance(session=session, instance_id=task.instance_id)
    session.refresh(task)
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is no longer open ({task.status})", code="task_not_open")
    if not to.may_work(task):
        raise InvalidInput(f"{to.username} may not work tasks of the group {task.candidate_group!r}",
                           code="assignee_not_in_group")
    previous = task.assignee
    if previous == to.username:
        return task
    task.assignee, task.claimed_at = to.username, clock.now()
    history.record(session=session, type_=EventType.TASK_REASSIGNED, actor=actor.username, instance_id=task.instance_id,
                   element_id=task.element_id, task_guid=task.task_guid,
                   data={"name": task.name, "from": previous, "to": to.username,
                         "reason": (reason or "").strip()[:1000]})
    return task
