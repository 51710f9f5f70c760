"""The embedded transport: one in-process thread runs jobs (SQLite default, no broker)."""

from __future__ import annotations

import logging
import queue
import threading
import time

from domain.db import transaction
from engine import jobs, retention
from tasks import mailer  # noqa: F401 - registers the "mail" job handler

log = logging.getLogger(__name__)
RETENTION_EVERY = 3600.0  # seconds between retention runs (FLOWDESK_RETENTION_DAYS; off when unset)


class EmbeddedWorker(threading.Thread):
    """Runs dispatched jobs at once and sweeps for due or orphaned jobs every `poll` seconds."""

    def __init__(self, poll: float = 1.0) -> None:
        super().__init__(name="flowdesk-embedded-worker", daemon=True)
        self.poll = poll
        self.inbox: queue.Queue[int] = queue.Queue()
        self.stopping = threading.Event()
        self.next_retention = time.monotonic()  # the first idle sweep runs it, then hourly

    def submit(self, job_ids: list[int]) -> None:
        for job_id in job_ids:
            self.inbox.put(job_id)

    def _sweep(self) -> None:
        with transaction() as session:
            ids = jobs.runnable_job_ids(session=session)
        for job_id in ids:
            jobs.run_job(job_id, worker=self.name)
        if time.monotonic() >= self.next_retention:  # hourly, like the beat entry of the Celery transport
            self.next_retention = time.monotonic() + RETENTION_EVERY
            retention.run_policy()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                jobs.run_job(self.inbox.get(timeout=self.poll), worker=self.name)
            except queue.Empty:
                try:
                    self._sweep()
                except Exception:  # keep the thread alive; the next sweep retries
                    log.exception("embedded sweep failed")

    def stop(self) -> None:
        self.stopping.set()


def start_embedded_worker(poll: float = 1.0) -> EmbeddedWorker:
    """Start the worker thread and route newly committed jobs to it."""
    worker = EmbeddedWorker(poll=poll)
    worker.start()
    jobs.set_dispatcher(worker.submit)
    return worker
