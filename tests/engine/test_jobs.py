"""Async service tasks run as jobs: after commit, exactly once, retried with backoff, leases expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from domain import clock
from domain.db import transaction
from engine import deployment, jobs, runtime
from engine.bundle import BundleFile
from engine.models import HumanTask, Job, JobStatus, ProcessInstance
from tests.bpmn_samples import async_service_process

SALES = runtime.Actor("sales", {"sales"})


@pytest.fixture(scope="module")
def async_key(world: None) -> str:
    with transaction() as session:
        deployment.deploy(session=session, actor="owner",
                          files=[BundleFile("async.bpmn", async_service_process(key="async_demo").encode())])
    return "async_demo"


def _start(key: str, customer_code: str) -> tuple[int, int]:
    with transaction() as session:
        inst = runtime.start_instance(session=session, process_key=key, actor=SALES,
                                      variables={"customer_code": customer_code})
        job = session.scalar(select(Job).where(Job.instance_id == inst.id))
        assert job is not None
        return inst.id, job.id


def _open_tasks(instance_id: int) -> list[str]:
    with transaction() as session:
        return list(session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")))


def test_async_service_task_waits_for_its_job_then_advances(async_key: str) -> None:
    iid, job_id = _start(async_key, "C-SZ-002")
    assert _open_tasks(iid) == []
    assert jobs.run_job(job_id) == "done"
    assert _open_tasks(iid) == ["Activity_FollowUp"]
    with transaction() as session:
        inst = session.get(ProcessInstance, iid)
        assert inst is not None and inst.variables["customer"]["code"] == "C-SZ-002"


def test_a_job_runs_once_even_when_delivered_twice(async_key: str) -> None:
    iid, job_id = _start(async_key, "C-SZ-002")
    assert [jobs.run_job(job_id), jobs.run_job(job_id)] == ["done", "skipped"]
    with transaction() as session:
        calls = session.scalars(select(Job).where(Job.instance_id == iid)).all()
    assert len(calls) == 1 and calls[0].attempts == 1


def test_jobs_are_dispatched_only_after_commit() -> None:
    seen: list[list[int]] = []
    jobs.set_dispatcher(seen.append)
    try:
        with pytest.raises(RuntimeError), transaction() as session:
            jobs.enqueue(session=session, kind="service", key="rolled-back-job")
            raise RuntimeError("roll back")
        assert seen == []
        with transaction() as session:
            job = jobs.enqueue(session=session, kind="service", key="committed-job")
        assert seen == [[job.id]]
    finally:
        jobs.set_dispatcher(None)
        with transaction() as session:  # a bare job with no instance: keep it out of later sweeps
            session.execute(update(Job).where(Job.idempotency_key == "committed-job").values(status=JobStatus.DONE))


def test_failing_job_is_retried_with_backoff_then_marked_failed(async_key: str) -> None:
    iid, job_id = _start(async_key, "C-DOES-NOT-EXIST")
    real_now = clock.now()
    try:
        for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
            assert jobs.run_job(job_id) == "failed"
            with transaction() as session:
                job = session.get(Job, job_id)
                assert job is not None and job.attempts == attempt and "not found" in (job.last_error or "")
                due = job.due_at
            clock.set_clock(lambda d=due: d + timedelta(seconds=1))
        with transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None and job.status == JobStatus.FAILED
    finally:
        clock.reset_clock()
    assert real_now <= clock.now()
    assert _open_tasks(iid) == []


def test_a_job_whose_worker_died_is_picked_up_after_its_lease(async_key: str) -> None:
    iid, job_id = _start(async_key, "C-SZ-002")
    with transaction() as session:  # what a killed worker leaves behind: RUNNING with a lease
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.locked_by, job.locked_until = JobStatus.RUNNING, "dead-worker", clock.now() + jobs.LEASE
    assert jobs.run_job(job_id) == "skipped"
    with transaction() as session:
        assert job_id not in jobs.runnable_job_ids(session=session)
    clock.set_clock(lambda: datetime.now(UTC) + jobs.LEASE + timedelta(seconds=1))
    try:
        with transaction() as session:
            assert job_id in jobs.runnable_job_ids(session=session)
        assert jobs.run_job(job_id) == "done"
    finally:
        clock.reset_clock()
    assert _open_tasks(iid) == ["Activity_FollowUp"]


def test_a_swept_job_is_not_queued_again_until_its_queue_lease_lapses(async_key: str) -> None:
    _, job_id = _start(async_key, "C-SZ-002")
    with transaction() as session:
        assert job_id in jobs.runnable_job_ids(session=session)
        jobs.mark_queued(session=session, job_ids=[job_id])
    with transaction() as session:
        assert job_id not in jobs.runnable_job_ids(session=session)
    clock.set_clock(lambda: datetime.now(UTC) + jobs.QUEUED_LEASE + timedelta(seconds=1))
    try:
        with transaction() as session:
            assert job_id in jobs.runnable_job_ids(session=session)  # the message was lost: send again
    finally:
        clock.reset_clock()
    assert jobs.run_job(job_id) == "done"  # a queued job is still claimable by the worker that gets it


def test_a_cancelled_job_never_runs(async_key: str) -> None:
    _, job_id = _start(async_key, "C-SZ-002")
    with transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status = JobStatus.CANCELLED
    assert jobs.run_job(job_id) == "skipped"
