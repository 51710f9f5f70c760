"""Process instances: a filterable list; one instance with its diagram (path highlighted) and history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import NotFound
from engine import history, incidents, operations, retention
from engine.history import PATH_EVENTS
from engine.models import Event, HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskStatus
from web.deps import OPERATOR_GROUPS, SessionDep, actor_of
from web.form_html import N_
from web.i18n import Formatter
from web.pages import diagram
from web.pages.common import UserDep, definition_names, gettext_for, page
from web.pages.context import instance_facts
from web.pages.inbox import customer_name
from web.templating import locale_of

router = APIRouter()
NOISE = {"name", "type", "human_task_id", "process_key", "business_key"}
ENGINE_KEYS = {"operator": N_("Service"), "params": N_("Parameters"), "result": N_("Result"),
               "candidate_group": N_("Candidate group"), "previous_assignee": N_("Previous assignee"),
               "error": N_("Error"), "version": N_("Version"), "from": N_("From"), "to": N_("To"),
               "reason": N_("Reason"), "due": N_("Due"), "message": N_("Message"),
               "correlation_key": N_("Correlation key"), "payload": N_("Payload"), "kind": N_("Kind"),
               "attempts": N_("Attempts")}


@dataclass
class HistoryRow:
    """One event as the timeline shows it."""

    event: Event
    element: str
    details: Any


def _instance(session: Session, instance_id: int) -> tuple[ProcessInstance, ProcessDefinition]:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found", code="instance_not_found")
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    return instance, definition


def _details(event: Event, gettext: Callable[[str], str]) -> Any:
    """The part of an event's data a person reads: entered form data, start variables, else the rest (labelled)."""
    data = event.data or {}
    if "form_data" in data:
        return data["form_data"]
    if "variables" in data:
        return data["variables"]
    return {gettext(ENGINE_KEYS[k]) if k in ENGINE_KEYS else k: v for k, v in data.items()
            if k not in NOISE and v not in (None, "", {}, [])}


def history_rows(events: list[Event], names: dict[str, str], gettext: Callable[[str], str]) -> list[HistoryRow]:
    """The timeline, oldest first, with element names from the diagram."""
    return [HistoryRow(e, names.get(e.element_id or "", "") or str((e.data or {}).get("name") or e.element_id or ""),
                       _details(e, gettext)) for e in events]


@router.get("/instances", response_class=HTMLResponse)
def instance_list(request: Request, session: SessionDep, user: UserDep, status: str = "", q: str = "",
                  limit: int = 100) -> HTMLResponse:
    """Recent instances, newest first, optionally of one status or matching a business key."""
    stmt = select(ProcessInstance).order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    if status in {s.value for s in InstanceStatus}:
        stmt = stmt.where(ProcessInstance.status == status)
    if q.strip():
        stmt = stmt.where(ProcessInstance.business_key.contains(q.strip()))
    instances = list(session.scalars(stmt.limit(min(max(limit, 1), 500))))
    names = definition_names(session, {i.definition_id for i in instances})
    rows = [(i, names.get(i.definition_id, i.process_key), customer_name(i.variables)) for i in instances]
    return page(request, "instances.html", {"rows": rows, "status": status, "q": q.strip(),
                                            "statuses": [s.value for s in InstanceStatus]}, session=session, user=user)


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(request: Request, instance_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Status, context, open tasks, the diagram with the path taken, and the history."""
    instance, definition = _instance(session, instance_id)
    events = history.instance_history(session=session, instance_id=instance.id)  # archived ones too
    archive = retention.archive_of(session=session, instance_id=instance.id)
    open_tasks = list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)))
    actor = actor_of(user)
    fmt = Formatter(locale_of(request))
    return page(request, "instance.html", {
        "instance": instance, "definition": definition,
        "facts": instance_facts(instance, definition, fmt, gettext_for(request)),
        "open_tasks": [(t, actor.may_work(t) or t.assignee == user.username) for t in open_tasks],
        "history": history_rows(events, diagram.info(definition).names, gettext_for(request)),
        "completed_ids": sorted({e.element_id for e in events if e.type in PATH_EVENTS and e.element_id}),
        "active_ids": sorted({t.element_id for t in open_tasks}),
        "open_incidents": incidents.list_incidents(session=session, instance_id=instance.id),
        "may_operate": bool(user.group_names & OPERATOR_GROUPS),
        "may_reassign": operations.may_reassign(actor), "archive": archive,
    }, session=session, user=user)


@router.get("/instances/{instance_id}/diagram.bpmn")
def instance_diagram(instance_id: int, session: SessionDep, user: UserDep) -> Response:
    """The BPMN XML of the instance's definition version (for the viewer)."""
    _, definition = _instance(session, instance_id)
    return Response(diagram.drawable_xml(definition), media_type="application/xml",
                    headers={"Cache-Control": "private, max-age=3600"})
