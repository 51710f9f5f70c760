"""Celery transport: carries job ids; the job table stays the source of truth."""

from __future__ import annotations

import os
import socket

from celery import Celery

from domain.settings import get_settings
from engine import jobs

settings = get_settings()
celery_app = Celery("flowdesk", broker=settings.broker_url or "memory://")
celery_app.conf.update(
    task_acks_late=True,  # a worker killed mid-job does not lose the message
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    task_default_queue=os.environ.get("FLOWDESK_QUEUE", "flowdesk"),
    # Due timers must fire within 2 s: sweep every second.
    beat_schedule={"flowdesk-sweep": {"task": "flowdesk.sweep", "schedule": 1.0}},
)
WORKER_ID = f"celery@{socket.gethostname()}"


@celery_app.task(name="flowdesk.run_job")
def run_job_task(job_id: int) -> str:
    """Run one job row."""
    return jobs.run_job(job_id, worker=WORKER_ID)


@celery_app.task(name="flowdesk.sweep")
def sweep_task() -> int:
    """Re-queue due jobs and jobs whose lease expired (missed dispatch, dead worker, broker outage)."""
    from domain.db import transaction

    with transaction() as session:
        ids = jobs.runnable_job_ids(session=session)
        jobs.mark_queued(session=session, job_ids=ids)
    for job_id in ids:
        run_job_task.delay(job_id)
    return len(ids)


def dispatch(job_ids: list[int]) -> None:
    """Send committed job ids to the broker."""
    for job_id in job_ids:
        run_job_task.delay(job_id)


def install_dispatcher() -> None:
    """Route newly committed jobs to Celery."""
    jobs.set_dispatcher(dispatch)
