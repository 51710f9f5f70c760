"""Jobs: work off the request path. The row is the truth; a transport only carries "run job N" after commit.

One execution function (run_job) serves both transports: Celery workers and the embedded thread.
A job's effect and its "done" mark commit in one transaction, so a worker killed mid-job leaves the job
to be picked up again after its lease expires, and the domain effect happens exactly once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain import clock
from domain.db import transaction
from domain.settings import get_settings
from engine.models import InstanceStatus, Job, JobStatus, ProcessInstance

log = logging.getLogger(__name__)
# How long a claimed job is a worker's: after that, a worker that died (SIGKILL, lost host) loses it to the sweep.
LEASE = timedelta(seconds=get_settings().job_lease_seconds)
MAX_ATTEMPTS = 3
_dispatcher: Callable[[list[int]], None] | None = None
Handler = Callable[[Session, Job], None]
_handlers: dict[str, Handler] = {}


def set_dispatcher(dispatch: Callable[[list[int]], None] | None) -> None:
    """The transport that receives committed job ids (Celery or the embedded worker)."""
    global _dispatcher
    _dispatcher = dispatch


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that executes jobs of kind."""

    def register(func: Handler) -> Handler:
        _handlers[kind] = func
        return func

    return register


class JobDeferred(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a handler that cannot act yet (instance suspended, timer not due): runs again later, no attempt."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until


def enqueue(*, session: Session, kind: str, key: str, instance_id: int | None = None, task_guid: str | None = None,
            due_at: datetime | None = None, payload: dict[str, Any] | None = None, max_attempts: int = MAX_ATTEMPTS,
            backoff_seconds: float = 2.0) -> Job:
    """A pending job, idempotent by key; it is dispatched only if the surrounding transaction commits."""
    existing = session.scalar(select(Job).where(Job.idempotency_key == key))
    if existing is not None:
        return existing
    job = Job(kind=kind, idempotency_key=key, instance_id=instance_id, task_guid=task_guid,
              due_at=due_at or clock.now(), created_at=clock.now(), payload=payload or {},
              max_attempts=max_attempts, backoff_seconds=backoff_seconds)
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        found = session.scalar(select(Job).where(Job.idempotency_key == key))
        assert found is not None
        return found
    dispatch_after_commit(session, job.id)
    return job


def dispatch_after_commit(session: Session, job_id: int) -> None:
    """Hand the job to the transport once (and only if) the surrounding transaction commits."""
    session.info.setdefault("flowdesk_jobs", []).append(job_id)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    ids = session.info.pop("flowdesk_jobs", [])
    if ids and _dispatcher is not None:
        try:
            _dispatcher(ids)
        except Exception:  # the broker is down: the sweeper picks the rows up later
            log.exception("dispatching jobs %s failed; they stay pending", ids)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("flowdesk_jobs", None)


def _claim(job_id: int, worker: str) -> str | None:
    """Take the lease on a runnable job; the kind, or None if it is not ours to run."""
    with transaction() as session:
        stmt = select(Job).where(Job.id == job_id)
        if session.get_bind().dialect.name != "sqlite":
            # Wait for the row (its locks are short: another claim, the sweep's mark) and decide on what committed.
            # SKIP LOCKED would drop the message while the job stays pending until the sweep sends it again.
            stmt = stmt.with_for_update()
        job = session.scalar(stmt)
        now = clock.now()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED) or job.due_at > now:
            return None
        if job.status == JobStatus.RUNNING and job.locked_until and job.locked_until > now:
            return None
        job.status, job.locked_by, job.locked_until = JobStatus.RUNNING, worker, now + LEASE
        job.attempts += 1
        return job.kind


def _record_failure(job_id: int, error: str) -> None:
    from engine import incidents

    with transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.last_error, job.locked_by, job.locked_until = error, None, None
        if job.attempts >= job.max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, clock.now()
            incidents.raise_for_job(session=session, job=job, trace=error)
        else:
            job.status = JobStatus.PENDING
            job.due_at = clock.now() + timedelta(seconds=job.backoff_seconds * 2 ** (job.attempts - 1))


def _defer(job_id: int, until: datetime) -> None:
    with transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.due_at, job.locked_by, job.locked_until = JobStatus.PENDING, until, None, None
        job.attempts -= 1  # waiting is not a failed attempt


def run_job(job_id: int, worker: str = "worker") -> str:
    """Execute one job if it is runnable: 'done', 'skipped', 'deferred' or 'failed'."""
    from engine import incidents

    kind = _claim(job_id, worker)
    if kind is None:
        return "skipped"
    try:
        with transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            _handlers[kind](session, job)
            job.status, job.finished_at, job.locked_by, job.locked_until = JobStatus.DONE, clock.now(), None, None
            incidents.resolve_for_job(session=session, job=job)
    except JobDeferred as deferred:
        _defer(job_id, deferred.until)
        return "deferred"
    except Exception:
        log.exception("job %s failed", job_id)
        _record_failure(job_id, traceback.format_exc(limit=20))
        return "failed"
    return "done"


QUEUED_LEASE = timedelta(seconds=60)


def runnable_job_ids(*, session: Session, limit: int = 1000) -> list[int]:
    """Due pending jobs not recently queued, and running jobs whose lease expired (their worker died)."""
    now = clock.now()
    not_queued = or_(Job.locked_until.is_(None), Job.locked_until < now)
    stmt = (
        select(Job.id)
        .where(or_((Job.status == JobStatus.PENDING) & (Job.due_at <= now) & not_queued,
                   (Job.status == JobStatus.RUNNING) & (Job.locked_until < now)))
        .order_by(Job.due_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def mark_queued(*, session: Session, job_ids: list[int]) -> None:
    """Remember that these jobs were handed to the broker, so the next sweeps do not send them again.

    A worker still claims them at once; only if none did within QUEUED_LEASE (lost message) are they re-sent.
    """
    if job_ids:
        session.execute(update(Job).where(Job.id.in_(job_ids), Job.status == JobStatus.PENDING)
                        .values(locked_by="queued", locked_until=clock.now() + QUEUED_LEASE))


@handler("service")
def _run_async_service(session: Session, job: Job) -> None:
    """Call the operator of a STARTED async service task, complete it and advance the instance."""
    from engine import runtime

    assert job.instance_id is not None and job.task_guid is not None
    instance = _runnable_instance(session, job)
    if instance is None:
        return
    ctx, workflow = runtime.load_for_step(session, instance, actor="system")
    task = workflow.get_task_from_id(UUID(job.task_guid))
    if task is None or not task.has_state(TaskState.STARTED):
        return  # already done by an earlier attempt that committed
    spec = task.task_spec
    task.data[spec.result_variable] = workflow.script_engine.call_operator(
        task, operation_name=spec.operation_name, operation_params=spec.evaluate_params(task)
    )
    task.complete()
    runtime.advance(ctx, instance, workflow)


SUSPENDED_RECHECK = timedelta(seconds=30)


def _runnable_instance(session: Session, job: Job) -> ProcessInstance | None:
    """The job's instance, locked, if it runs; a suspended instance defers the job; an ended one drops it."""
    from engine import runtime

    assert job.instance_id is not None
    instance = runtime.lock_instance(session=session, instance_id=job.instance_id)
    if instance.status == InstanceStatus.SUSPENDED:
        raise JobDeferred(clock.now() + SUSPENDED_RECHECK)
    return instance if instance.status == InstanceStatus.RUNNING else None


@handler("timer")
def _fire_timer(session: Session, job: Job) -> None:
    """Fire a due timer (intermediate, boundary) and advance the instance."""
    from engine import history, runtime

    instance = _runnable_instance(session, job)
    if instance is None:
        return
    due = datetime.fromisoformat(job.payload["due"])
    if clock.now() <= due:  # the library fires strictly after the due time
        raise JobDeferred(due + timedelta(milliseconds=1))
    ctx, workflow = runtime.load_for_step(session, instance, actor="timer")
    task = workflow.get_task_from_id(UUID(job.task_guid)) if job.task_guid else None
    if task is None or not task.has_state(TaskState.WAITING):
        return  # left behind: the path moved on or the boundary's activity completed first
    history.record(session=session, type_=history.EventType.TIMER_FIRED, actor="timer", instance_id=instance.id,
                   element_id=task.task_spec.bpmn_id, task_guid=str(task.id), data={"due": job.payload["due"]})
    workflow.refresh_timers()
    runtime.advance(ctx, instance, workflow)


TIMER_ACTOR_NAME = "timer"


@handler("start_timer")
def _start_by_timer(session: Session, job: Job) -> None:
    """Start an instance of a timer-started process and schedule the next start; superseded versions stop."""
    from engine import deployment, runtime, timers
    from engine.models import ProcessDefinition

    definition = session.get(ProcessDefinition, job.payload["definition_id"])
    newest = deployment.latest(session=session, key=definition.key) if definition else None
    if definition is None or newest is None or newest.id != definition.id:
        return  # a newer version was deployed and has its own schedule
    schedule = timers.StartSchedule(datetime.fromisoformat(job.payload["due"]), int(job.payload["remaining"]),
                                    float(job.payload["every"]))
    runtime.start_instance(session=session, process_key=definition.key, start_timer=True,
                           actor=runtime.Actor(TIMER_ACTOR_NAME, admin=True))
    upcoming = timers.next_start(schedule)
    if upcoming is not None:
        timers.schedule_start(session=session, definition_id=definition.id, schedule=upcoming)
