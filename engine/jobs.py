"""Jobs: work off the request path. The row is the truth; a transport only carries "run job N" after commit.

One execution function (run_job) serves both transports: Celery workers and the embedded thread.
A job's effect and its "done" mark commit in one transaction, so a worker killed mid-job leaves the job
to be picked up again after its lease expires, and the domain effect happens exactly once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain import clock
from domain.db import transaction
from engine.models import InstanceStatus, Job, JobStatus

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
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


def enqueue(*, session: Session, kind: str, key: str, instance_id: int | None = None, task_guid: str | None = None,
            due_at: Any = None) -> Job:
    """A pending job, idempotent by key; it is dispatched only if the surrounding transaction commits."""
    existing = session.scalar(select(Job).where(Job.idempotency_key == key))
    if existing is not None:
        return existing
    job = Job(kind=kind, idempotency_key=key, instance_id=instance_id, task_guid=task_guid,
              due_at=due_at or clock.now(), created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        found = session.scalar(select(Job).where(Job.idempotency_key == key))
        assert found is not None
        return found
    session.info.setdefault("flowdesk_jobs", []).append(job.id)
    return job


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
            stmt = stmt.with_for_update(skip_locked=True)
        job = session.scalar(stmt)
        now = clock.now()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED) or job.due_at > now:
            return None
        if job.status == JobStatus.RUNNING and job.locked_until and job.locked_until > now:
            return None
        job.status, job.locked_by, job.locked_until = JobStatus.RUNNING, worker, now + LEASE
        job.attempts += 1
        return job.kind


def _record_failure(job_id: int, error: str) -> None:
    with transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.last_error, job.locked_by, job.locked_until = error, None, None
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = JobStatus.FAILED, clock.now()
        else:
            job.status = JobStatus.PENDING
            job.due_at = clock.now() + timedelta(seconds=2 ** job.attempts)


def run_job(job_id: int, worker: str = "worker") -> str:
    """Execute one job if it is runnable: 'done', 'skipped' or 'failed'."""
    kind = _claim(job_id, worker)
    if kind is None:
        return "skipped"
    try:
        with transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            _handlers[kind](session, job)
            job.status, job.finished_at, job.locked_by, job.locked_until = JobStatus.DONE, clock.now(), None, None
    except Exception:
        log.exception("job %s failed", job_id)
        _record_failure(job_id, traceback.format_exc(limit=20))
        return "failed"
    return "done"


def runnable_job_ids(*, session: Session, limit: int = 100) -> list[int]:
    """Pending jobs that are due and running jobs whose lease expired (their worker died)."""
    now = clock.now()
    stmt = (
        select(Job.id)
        .where(or_((Job.status == JobStatus.PENDING) & (Job.due_at <= now),
                   (Job.status == JobStatus.RUNNING) & (Job.locked_until < now)))
        .order_by(Job.due_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


@handler("service")
def _run_async_service(session: Session, job: Job) -> None:
    """Call the operator of a STARTED async service task, complete it and advance the instance."""
    from engine import runtime

    assert job.instance_id is not None and job.task_guid is not None
    instance = runtime.lock_instance(session=session, instance_id=job.instance_id)
    if instance.status != InstanceStatus.RUNNING:
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
