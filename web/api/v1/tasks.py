"""Human tasks: my tasks / my groups' tasks, detail with form, claim, unclaim, complete."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, NotFound
from domain.identity import service as identity
from engine import inbox, operations, runtime
from engine.models import HumanTask, ProcessInstance
from web.api.v1.schemas import CompleteIn, CompleteOut, TaskDetailOut, TaskListOut, TaskOut
from web.deps import ApiUser, SessionDep, actor_of

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=TaskListOut)
def list_tasks(
    session: SessionDep, user: ApiUser, scope: Literal["mine", "group"] = "mine",
    sort: Literal["age", "due"] = "age", limit: int = 100, offset: int = 0,
) -> TaskListOut:
    """Open tasks assigned to me (mine) or claimable by my groups (group)."""
    actor = actor_of(user)
    rows, total = inbox.list_open(session=session, actor=actor, scope=scope, sort=sort, limit=limit, offset=offset)
    return TaskListOut(count=total, tasks=[TaskOut.of(t, i) for t, i in rows])


def _visible(session: SessionDep, user: ApiUser, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    task = session.get(HumanTask, task_id)
    actor = actor_of(user)
    involved = task is not None and user.username in (task.assignee, task.completed_by)
    if task is None or not (actor.may_work(task) or involved):
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    return task, instance


@router.get("/{task_id}", response_model=TaskDetailOut)
def get_task(task_id: int, session: SessionDep, user: ApiUser) -> TaskDetailOut:
    """A task with its form's JSON Schema, candidate group, assignee and the instance's variables."""
    task, instance = _visible(session, user, task_id)
    base = TaskOut.of(task, instance).model_dump()
    return TaskDetailOut(**base, form_schema=runtime.form_schema(session, task),
                         ui_schema=inbox.ui_schema(session, task), variables=instance.variables or {})


@router.post("/{task_id}/claim", response_model=TaskOut)
def claim(task_id: int, session: SessionDep, user: ApiUser) -> TaskOut:
    """Assign the task to me; 409 if someone else has it."""
    task = runtime.claim_task(session=session, task_id=task_id, actor=actor_of(user))
    session.commit()
    return TaskOut.of(task)


@router.post("/{task_id}/unclaim", response_model=TaskOut)
def unclaim(task_id: int, session: SessionDep, user: ApiUser) -> TaskOut:
    """Give the task back to its group."""
    task = runtime.unclaim_task(session=session, task_id=task_id, actor=actor_of(user))
    session.commit()
    return TaskOut.of(task)


@router.post("/{task_id}/complete", response_model=CompleteOut)
def complete(task_id: int, body: CompleteIn, session: SessionDep, user: ApiUser) -> CompleteOut:
    """Complete with form data: 409 when no longer open or claimed by someone else, 422 for invalid data."""
    actor = actor_of(user)
    task = runtime.complete_task(session=session, task_id=task_id, actor=actor, data=body.data)
    session.commit()
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    nxt = runtime.next_task_for(session=session, instance_id=task.instance_id, actor=actor)
    return CompleteOut(task=TaskOut.of(task, instance), instance_status=str(instance.status),
                       next_task_id=nxt.id if nxt else None)


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)
    reason: str = Field("", max_length=1000)


def assignee_actor(session: Session, username: str) -> runtime.Actor:
    """The engine's view of the person a task is given to; InvalidInput when there is no such active user."""
    target = identity.get_by_username(session=session, username=username.strip())
    if target is None or not target.active:
        raise InvalidInput(f"no active user {username!r}", code="unknown_assignee")
    return actor_of(target)


@router.post("/{task_id}/assign", response_model=TaskOut)
def assign(task_id: int, body: AssignIn, session: SessionDep, user: ApiUser) -> TaskOut:
    """Give an open task to someone in its group (admins and managers): 403 for others, 422 for someone outside it."""
    actor = actor_of(user)
    operations.require_reassigner(actor)  # before looking the assignee up: others learn nothing about users
    task = operations.reassign(session=session, task_id=task_id, actor=actor,
                               to=assignee_actor(session, body.assignee), reason=body.reason)
    session.commit()
    return TaskOut.of(task)
