"""Incidents: a job that ran out of retries stops its instance's path until someone fixes the cause and retries.

One open incident per job: a retry that fails again updates it; the job's next success resolves it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, NotFound
from engine import history
from engine.history import EventType
from engine.models import Incident, IncidentStatus, Job, JobStatus


def _last_line(trace: str) -> str:
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return lines[-1][:1000] if lines else "unknown error"


def _open_for_job(session: Session, job_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.job_id == job_id, Incident.status == IncidentStatus.OPEN))


def raise_for_job(*, session: Session, job: Job, trace: str) -> Incident | None:
    """Open (or update) the incident of a job that exhausted its attempts; recorded in the instance's history."""
    from engine.runtime import lock_instance

    if job.instance_id is None:
        return None
    lock_instance(session=session, instance_id=job.instance_id)
    incident = _open_for_job(session, job.id)
    error = _last_line(trace)
    if incident is None:
        incident = Incident(instance_id=job.instance_id, job_id=job.id, element_id=job.payload.get("element_id"),
                            kind=job.kind, error=error, trace=trace, attempts=job.attempts, created_at=clock.now())
        session.add(incident)
    else:
        incident.error, incident.trace, incident.attempts = error, trace, incident.attempts + job.attempts
    session.flush()
    history.record(session=session, type_=EventType.INCIDENT_RAISED, actor="system", instance_id=job.instance_id,
                   element_id=incident.element_id, task_guid=job.task_guid,
                   data={"incident_id": incident.id, "kind": job.kind, "error": error, "attempts": incident.attempts})
    return incident


def resolve_for_job(*, session: Session, job: Job) -> None:
    """Close the job's open incident after it succeeded (inside the job's own transaction)."""
    incident = _open_for_job(session, job.id)
    if incident is None:
        return
    incident.status, incident.resolved_at = IncidentStatus.RESOLVED, clock.now()
    history.record(session=session, type_=EventType.INCIDENT_RESOLVED, actor=incident.resolved_by or "system",
                   instance_id=incident.instance_id, element_id=incident.element_id, task_guid=job.task_guid,
                   data={"incident_id": incident.id})


def retry(*, session: Session, incident_id: int, actor: str) -> Incident:
    """Run the failed job again now, with a fresh set of attempts; dispatched after commit."""
    from engine import jobs
    from engine.runtime import lock_instance

    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found", code="incident_not_found")
    lock_instance(session=session, instance_id=incident.instance_id)
    session.refresh(incident)
    job = session.get(Job, incident.job_id) if incident.job_id else None
    if incident.status != IncidentStatus.OPEN or job is None or job.status != JobStatus.FAILED:
        raise Conflict(f"incident {incident_id} is not open for retry", code="incident_not_open")
    job.status, job.attempts, job.due_at, job.finished_at = JobStatus.PENDING, 0, clock.now(), None
    incident.resolved_by = actor  # who will have resolved it if this retry succeeds
    history.record(session=session, type_=EventType.INCIDENT_RETRIED, actor=actor, instance_id=incident.instance_id,
                   element_id=incident.element_id, task_guid=job.task_guid, data={"incident_id": incident.id})
    jobs.dispatch_after_commit(session, job.id)
    return incident


def list_incidents(*, session: Session, status: IncidentStatus | None = IncidentStatus.OPEN,
                   instance_id: int | None = None, limit: int = 200) -> list[Incident]:
    """Incidents, newest first, optionally of one status or instance."""
    stmt = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Incident.status == status)
    if instance_id is not None:
        stmt = stmt.where(Incident.instance_id == instance_id)
    return list(session.scalars(stmt))
