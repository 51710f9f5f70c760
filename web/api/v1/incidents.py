"""Incidents: jobs that ran out of retries; list them and retry after fixing the cause."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from engine import incidents
from engine.models import IncidentStatus
from web.api.v1.schemas import IncidentOut
from web.deps import ApiUser, SessionDep, require_operator

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.get("", response_model=list[IncidentOut])
def list_incidents(session: SessionDep, user: ApiUser, status: Literal["open", "resolved", "all"] = "open",
                   instance_id: int | None = None) -> list[IncidentOut]:
    """Incidents with error, trace and attempts, newest first."""
    wanted = None if status == "all" else IncidentStatus(status)
    return [IncidentOut.of(i) for i in incidents.list_incidents(session=session, status=wanted,
                                                                instance_id=instance_id)]


@router.post("/{incident_id}/retry", response_model=IncidentOut)
def retry_incident(incident_id: int, session: SessionDep, user: ApiUser) -> IncidentOut:
    """Run the failed job again now (after fixing its cause); success resolves the incident and continues."""
    require_operator(user)
    incident = incidents.retry(session=session, incident_id=incident_id, actor=user.username)
    session.commit()
    return IncidentOut.of(incident)
