"""Process instances: start, read, history."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from sqlalchemy import select

from domain.errors import NotFound
from engine import history, incidents, operations, runtime
from engine.models import HumanTask, IncidentStatus, ProcessDefinition, ProcessInstance, TaskStatus
from web.api.v1.schemas import EventOut, HistoryOut, IncidentOut, InstanceOut, OperationIn, StartIn, TaskOut
from web.deps import ApiUser, SessionDep, actor_of, require_operator

router = APIRouter(prefix="/process-instances", tags=["process instances"])


def instance_out(session: SessionDep, instance: ProcessInstance) -> InstanceOut:
    """The API view of an instance with its open tasks."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    open_tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
    )
    return InstanceOut(
        id=instance.id, process_key=instance.process_key, version=definition.version, definition_id=definition.id,
        business_key=instance.business_key, status=str(instance.status), started_by=instance.started_by,
        started_at=instance.started_at, ended_at=instance.ended_at,
        open_tasks=[TaskOut.of(t, instance) for t in open_tasks], variables=instance.variables or {},
        incidents=[IncidentOut.of(i) for i in incidents.list_incidents(session=session, status=IncidentStatus.OPEN,
                                                                        instance_id=instance.id)],
    )


def _get(session: SessionDep, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found", code="instance_not_found")
    return instance


@router.post("", response_model=InstanceOut, status_code=201)
def start_instance(body: StartIn, session: SessionDep, user: ApiUser) -> InstanceOut:
    """Start the newest version of a process; variables are checked against its start form."""
    instance = runtime.start_instance(session=session, process_key=body.process_key, actor=actor_of(user),
                                      business_key=body.business_key, variables=body.variables)
    session.commit()
    return instance_out(session, instance)


@router.get("/{instance_id}", response_model=InstanceOut)
def get_instance(instance_id: int, session: SessionDep, user: ApiUser) -> InstanceOut:
    """Status, version, open tasks and current variables."""
    return instance_out(session, _get(session, instance_id))


@router.get("/{instance_id}/history", response_model=HistoryOut)
def get_history(instance_id: int, session: SessionDep, user: ApiUser) -> HistoryOut:
    """Every event of the instance, oldest first."""
    _get(session, instance_id)
    events = history.instance_history(session=session, instance_id=instance_id)
    return HistoryOut(instance_id=instance_id, events=[EventOut.of(e) for e in events])


def _operate(operation: Callable[..., ProcessInstance], instance_id: int, body: OperationIn, session: SessionDep,
             user: ApiUser) -> InstanceOut:
    require_operator(user)
    instance = operation(session=session, instance_id=instance_id, actor=actor_of(user), reason=body.reason)
    session.commit()
    return instance_out(session, instance)


@router.post("/{instance_id}/suspend", response_model=InstanceOut)
def suspend_instance(instance_id: int, body: OperationIn, session: SessionDep, user: ApiUser) -> InstanceOut:
    """Suspend a running instance (process owners and admins; a reason is required)."""
    return _operate(operations.suspend, instance_id, body, session, user)


@router.post("/{instance_id}/resume", response_model=InstanceOut)
def resume_instance(instance_id: int, body: OperationIn, session: SessionDep, user: ApiUser) -> InstanceOut:
    """Resume a suspended instance."""
    return _operate(operations.resume, instance_id, body, session, user)


@router.post("/{instance_id}/cancel", response_model=InstanceOut)
def cancel_instance(instance_id: int, body: OperationIn, session: SessionDep, user: ApiUser) -> InstanceOut:
    """Cancel a running or suspended instance for good (a reason is required)."""
    return _operate(operations.cancel, instance_id, body, session, user)
