"""The Celery transport on a real Redis with a real worker process: an async service task completes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from domain.db import transaction
from engine import deployment, jobs, runtime
from engine.bundle import BundleFile
from engine.models import HumanTask, Job, JobStatus
from tests.bpmn_samples import async_service_process
from tests.tasks.workers import REDIS_URL, redis_or_skip, spawn_worker, stop, use_queue, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def celery_worker(world: None, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `flowdesk worker` (Celery) process on Redis and the test database; dispatch goes to it."""
    redis_or_skip()
    queue = f"flowdesk-test-{uuid.uuid4().hex[:8]}"
    proc = spawn_worker(database_url=database_url, queue=queue, log=tmp_path_factory.mktemp("celery") / "worker.log")
    use_queue(queue)
    try:
        yield queue
    finally:
        jobs.set_dispatcher(None)
        stop(proc)
        redis.Redis.from_url(REDIS_URL).delete(queue)


def test_async_service_task_completes_on_a_celery_worker(celery_worker: str) -> None:
    with transaction() as session:
        deployment.deploy(session=session, actor="owner",
                          files=[BundleFile("async.bpmn", async_service_process(key="async_celery").encode())])
    with transaction() as session:
        inst = runtime.start_instance(session=session, process_key="async_celery",
                                      actor=runtime.Actor("sales", {"sales"}), variables={"customer_code": "C-GZ-005"})
        iid = inst.id

    def follow_up_ready() -> bool:
        with transaction() as session:
            return session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == iid, HumanTask.element_id == "Activity_FollowUp")) is not None

    assert wait_for(follow_up_ready), "the Celery worker did not run the job"
    with transaction() as session:
        job = session.scalar(select(Job).where(Job.instance_id == iid))
        assert job is not None
        assert (job.status, job.attempts) == (JobStatus.DONE, 1)
