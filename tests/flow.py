"""Helpers for tests that drive instances in committed transactions, the way requests and workers do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from domain.db import transaction
from engine import deployment, jobs, runtime
from engine.bundle import BundleFile
from engine.models import HumanTask, Job, ProcessInstance, TaskStatus

OPS = runtime.Actor("olga", {"ops", "sales"})


def deploy_xml(name: str, xml: str) -> None:
    """Deploy one BPMN document."""
    with transaction() as session:
        deployment.deploy(session=session, files=[BundleFile(name, xml.encode())], actor="owner")


def start(key: str, variables: dict[str, Any] | None = None, actor: runtime.Actor = OPS) -> int:
    """Start an instance; its id."""
    with transaction() as session:
        return runtime.start_instance(session=session, process_key=key, actor=actor, variables=variables or {}).id


def open_tasks(instance_id: int) -> list[str]:
    """Element ids of the instance's open human tasks."""
    with transaction() as session:
        return sorted(session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)))


def task_status(instance_id: int, element_id: str) -> str:
    """Status of the (latest) human task of an element."""
    with transaction() as session:
        row = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.element_id == element_id)
                              .order_by(HumanTask.id.desc())).first()
        assert row is not None, f"no task {element_id}"
        return str(row.status)


def complete(instance_id: int, element_id: str, data: dict[str, Any] | None = None, actor: runtime.Actor = OPS) -> None:
    """Complete the open task of an element."""
    with transaction() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.element_id == element_id,
                                                      HumanTask.status == TaskStatus.OPEN))
        assert task is not None, f"no open task {element_id}"
        runtime.complete_task(session=session, task_id=task.id, actor=actor, data=data or {})


def instance_status(instance_id: int) -> str:
    with transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return str(instance.status)


def jobs_of(instance_id: int, kind: str | None = None) -> list[Job]:
    with transaction() as session:
        stmt = select(Job).where(Job.instance_id == instance_id).order_by(Job.id)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        return list(session.scalars(stmt))


def run_due_jobs() -> list[str]:
    """Run every job that is due now (what a worker's sweep does), once."""
    with transaction() as session:
        ids = jobs.runnable_job_ids(session=session, limit=1000)
    return [jobs.run_job(job_id) for job_id in ids]
