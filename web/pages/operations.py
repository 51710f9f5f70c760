"""Operating on instances from the browser: suspend, resume, cancel, reassign a task, and the incidents list with
Retry."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from domain.errors import Forbidden, InvalidInput
from domain.identity import service as identity
from engine import incidents, operations
from engine.models import IncidentStatus, ProcessInstance
from web.deps import OPERATOR_GROUPS, SessionDep, actor_of, require_operator
from web.pages.common import UserDep, flash, gettext_for, page, redirect

router = APIRouter()
ACTIONS = {"suspend": operations.suspend, "resume": operations.resume, "cancel": operations.cancel}


def may_operate(groups: set[str]) -> bool:
    """Process owners and admins operate instances."""
    return bool(groups & OPERATOR_GROUPS)


@router.post("/instances/{instance_id}/{action}")
def operate(request: Request, instance_id: int, action: str, session: SessionDep, user: UserDep,
            reason: str = Form("")) -> Response:
    """Suspend, resume or cancel, with the reason recorded in the instance's history."""
    if action not in ACTIONS:
        raise Forbidden(f"unknown operation {action!r}", code="unknown_operation")
    require_operator(user)
    ACTIONS[action](session=session, instance_id=instance_id, actor=actor_of(user), reason=reason)
    session.commit()
    _ = gettext_for(request)
    done = {"suspend": _("Instance suspended."), "resume": _("Instance resumed."),
            "cancel": _("Instance cancelled.")}
    flash(request, done[action])
    return redirect(f"/instances/{instance_id}")


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(request: Request, session: SessionDep, user: UserDep, status: str = "open") -> HTMLResponse:
    """Jobs that ran out of retries: error, trace, attempts, and Retry for operators."""
    wanted = IncidentStatus(status) if status in {s.value for s in IncidentStatus} else None
    rows = incidents.list_incidents(session=session, status=wanted)
    keys = {i.instance_id: session.get(ProcessInstance, i.instance_id) for i in rows}
    return page(request, "incidents.html", {"incidents": rows, "instances": keys, "status": status,
                                            "may_operate": may_operate(user.group_names)},
                session=session, user=user)


@router.post("/incidents/{incident_id}/retry")
def retry(request: Request, incident_id: int, session: SessionDep, user: UserDep, back: str = Form("")) -> Response:
    """Run the failed job again; success resolves the incident and the instance continues."""
    require_operator(user)
    incident = incidents.retry(session=session, incident_id=incident_id, actor=user.username)
    session.commit()
    flash(request, gettext_for(request)("Retry scheduled: the job runs again now."))
    target = back if back.startswith("/") and not back.startswith("//") else f"/instances/{incident.instance_id}"
    return redirect(target)


@router.post("/tasks/{task_id}/assign")
def assign_task(request: Request, task_id: int, session: SessionDep, user: UserDep, assignee: str = Form(""),
                reason: str = Form("")) -> Response:
    """Give an open task to someone in its group (admins and managers); recorded with from, to and reason."""
    actor = actor_of(user)
    operations.require_reassigner(actor)
    target = identity.get_by_username(session=session, username=assignee.strip())
    if target is None or not target.active:
        raise InvalidInput(f"no active user {assignee!r}", code="unknown_assignee")
    task = operations.reassign(session=session, task_id=task_id, actor=actor, to=actor_of(target), reason=reason)
    session.commit()
    flash(request, gettext_for(request)("Task given to %(user)s.") % {"user": target.username})
    return redirect(f"/instances/{task.instance_id}")
