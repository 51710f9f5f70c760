"""Operating on instances: suspend, resume, cancel. Each locks the instance and is recorded with its reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput
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
