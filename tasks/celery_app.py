"""Celery transport: carries job ids; the job table stays the source of truth."""

from __future__ import annotations

import logging
import os
import socket

from celery import Celery

from domain.settings import get_settings
from engine import jobs
from tasks import mailer  # noqa: F401 - registers the "mail" job handler

log = logging.getLogger(__name__)
WORKER_ID = f"celery@{socket.gethostname()}"


def make_app(broker_url: str | None, queue: str | None = None) -> Celery:
    """A Celery app on broker_url; workers run the module's app, senders may use another (tests, a second broker)."""
    app = Celery("flowdesk", broker=broker_url or "memory://")
    app.conf.update(
        task_acks_late=True,  # a worker killed mid-job does not lose the message
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        # With the broker down, publishing fails fast (the job row stays pending and the sweep sends it later)
        # instead of holding the web request in connection retries.
        task_publish_retry=False,
        broker_connection_timeout=2,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 5},
        task_default_queue=queue or os.environ.get("FLOWDESK_QUEUE", "flowdesk"),
        # Due timers must fire within 2 s: sweep every second.
        beat_schedule={"flowdesk-sweep": {"task": "flowdesk.sweep", "schedule": 1.0},
                       # Retention (FLOWDESK_RETENTION_DAYS): hourly, a no-op when the policy is off or nothing is due.
                       "flowdesk-retention": {"task": "flowdesk.archive_history", "schedule": 3600.0}},
    )
    return app


celery_app = make_app(get_settings().broker_url)


@celery_app.task(name="flowdesk.run_job")
def run_job_task(job_id: int) -> str:
    """Run one job row."""
    return jobs.run_job(job_id, worker=WORKER_ID)


def send(job_ids: list[int], app: Celery | None = None) -> list[int]:
    """Publish "run job N" for each id; the ids that reached the broker (it may be down: they stay pending)."""
    sent: list[int] = []
    for job_id in job_ids:
        try:
            (app or celery_app).send_task("flowdesk.run_job", args=[job_id])
        except Exception:  # broker unreachable: the sweep sends it when the broker is back
            log.warning("broker unreachable: job %s stays pending (%d not sent)", job_id, len(job_ids) - len(sent))
            break
        sent.append(job_id)
    return sent


def sweep(app: Celery | None = None) -> int:
    """Send due jobs and jobs whose lease expired (missed dispatch, dead worker, broker outage); marks what went."""
    from domain.db import transaction

    with transaction() as session:
        ids = jobs.runnable_job_ids(session=session)
    sent = send(ids, app)
    with transaction() as session:
        jobs.mark_queued(session=session, job_ids=sent)
    return len(sent)


@celery_app.task(name="flowdesk.sweep")
def sweep_task() -> int:
    """The periodic sweep, run by beat."""
    return sweep()


@celery_app.task(name="flowdesk.archive_history")
def archive_history_task() -> list[int]:
    """The retention run, scheduled by beat: the archive batches written."""
    from engine import retention

    return retention.run_policy()


def install_dispatcher(app: Celery | None = None) -> None:
    """Route newly committed jobs to Celery (this module's app unless another is given)."""

    def dispatch(job_ids: list[int]) -> None:
        send(job_ids, app)

    jobs.set_dispatcher(dispatch)
