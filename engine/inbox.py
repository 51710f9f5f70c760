"""Inbox queries: open tasks for a person, with their instances."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessDefinition, ProcessInstance, TaskStatus
from engine.runtime import Actor


def _scope_filter(actor: Actor, scope: str) -> Any:
    if scope == "mine":
        return HumanTask.assignee == actor.username
    unassigned = HumanTask.assignee.is_(None)
    if actor.admin:
        return unassigned
    return unassigned & HumanTask.candidate_group.in_(sorted(actor.groups))


def list_open(
    *, session: Session, actor: Actor, scope: str, sort: str = "age", limit: int = 100, offset: int = 0
) -> tuple[list[tuple[HumanTask, ProcessInstance]], int]:
    """Open tasks in scope ("mine" = assigned to me, "group" = claimable by my groups) and their total count."""
    where = (HumanTask.status == TaskStatus.OPEN) & _scope_filter(actor, scope)
    total = session.scalar(select(func.count()).select_from(HumanTask).where(where)) or 0
    order = (
        [HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at]
        if sort == "due"
        else [HumanTask.created_at, HumanTask.id]
    )
    stmt = (
        select(HumanTask, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(where)
        .order_by(*order)
        .limit(min(max(limit, 1), 500))
        .offset(max(offset, 0))
    )
    return [(t, i) for t, i in session.execute(stmt).all()], total


def counts(*, session: Session, actor: Actor) -> dict[str, int]:
    """How many tasks are mine and how many my groups could claim."""
    return {
        scope: session.scalar(
            select(func.count()).select_from(HumanTask)
            .where((HumanTask.status == TaskStatus.OPEN) & _scope_filter(actor, scope))
        ) or 0
        for scope in ("mine", "group")
    }


def ui_schema(session: Session, task: HumanTask) -> dict[str, Any] | None:
    """The UI hints of a task's form, if the diagram names one."""
    if not task.ui_form_file:
        return None
    instance = session.get(ProcessInstance, task.instance_id)
    definition = session.get(ProcessDefinition, instance.definition_id) if instance else None
    return definition.forms.get(task.ui_form_file) if definition else None
