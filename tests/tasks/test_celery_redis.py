"""The Celery transport on a real Redis with a real worker process: an async service task completes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from domain.db import transaction
from engine import deployment, jobs, runtime
from engine.bundle import BundleFile
from engine.models import HumanTask, Job, JobStatus
from tests.bpmn_samples import async_service_process

REDIS_URL = os.environ.get("FLOWDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
pytestmark = pytest.mark.redis


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis must be reachable in CI at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")


@pytest.fixture(scope="module")
def celery_worker(world: None, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `flowdesk worker` (Celery) process on Redis and the test database; dispatch goes to it."""
    _redis_or_skip()
    queue = f"flowdesk-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "FLOWDESK_BROKER_URL": REDIS_URL, "FLOWDESK_DATABASE_URL": database_url,
           "FLOWDESK_QUEUE": queue}
    log = (tmp_path_factory.mktemp("celery") / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowdesk.cli", "worker", "--pool", "solo", "--concurrency", "1",
         "--loglevel", "warning"],
        env=env, cwd=Path(__file__).resolve().parents[2], stdout=log, stderr=subprocess.STDOUT,
    )
    from tasks import celery_app as transport

    transport.celery_app.conf.broker_url = REDIS_URL
    transport.celery_app.conf.task_default_queue = queue
    transport.install_dispatcher()
    try:
        yield queue
    finally:
        jobs.set_dispatcher(None)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        redis.Redis.from_url(REDIS_URL).delete(queue)


def _wait_for(predicate, timeout: float = 45.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


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

    assert _wait_for(follow_up_ready), "the Celery worker did not run the job"
    with transaction() as session:
        job = session.scalar(select(Job).where(Job.instance_id == iid))
        assert job is not None
        assert (job.status, job.attempts) == (JobStatus.DONE, 1)
