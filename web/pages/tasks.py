"""A task: its form and context; claim, unclaim, complete (then on to my next task of the instance)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from domain.errors import Conflict, FlowdeskError, InvalidInput, Unauthorized
from domain.identity.models import User
from engine import history, inbox, runtime
from engine.forms import with_defaults
from engine.history import EventType
from engine.models import HumanTask, ProcessDefinition, ProcessInstance, TaskStatus
from web import form_html
from web.deps import SessionDep, actor_of
from web.errors import status_for
from web.i18n import Formatter
from web.pages.common import (
    UserDep,
    flash,
    fragment,
    gettext_for,
    is_htmx,
    page,
    redirect,
    safe_next,
    visible_task,
)
from web.pages.context import instance_facts, quote_lines
from web.pages.inbox import inbox_rows
from web.pages.messages import readable_errors
from web.templating import locale_of

router = APIRouter()


def _form_data(session: Session, task: HumanTask, same_guid: bool) -> dict[str, Any] | None:
    """The form data of this task (same_guid) or of the last earlier run of its step in the instance."""
    found = None
    for event in history.instance_history(session=session, instance_id=task.instance_id):
        if event.type == EventType.TASK_COMPLETED and (
                event.task_guid == task.task_guid if same_guid else event.element_id == task.element_id):
            found = dict(event.data.get("form_data") or {})
    return found


def _prefill(session: Session, task: HumanTask, schema: dict[str, Any]) -> dict[str, Any] | None:
    """A step done again (a quote sent back for rework) starts from last time's entries; decisions are asked afresh."""
    previous = _form_data(session, task, same_guid=False) or {}
    props = schema.get("properties") or {}
    kept = {k: v for k, v in previous.items() if k in props and "enum" not in props[k]
            and form_html.schema_type(props[k]) != "boolean"}
    return with_defaults(schema, kept) if kept else None


def task_view(request: Request, session: Session, user: User, task: HumanTask, instance: ProcessInstance, *,
              values: dict[str, Any] | None = None, errors: list[dict[str, Any]] | None = None,
              problem: FlowdeskError | None = None, status_code: int = 200) -> HTMLResponse:
    """The task page: form (with entered values and errors) beside the instance's context."""
    schema = runtime.form_schema(session, task)
    form = None
    if schema is not None and (task.status == TaskStatus.OPEN or values is not None):  # keep what was entered
        shown = values if values is not None else _prefill(session, task, schema)
        form = form_html.build_form(schema, inbox.ui_schema(session, task), shown,
                                    readable_errors(errors, gettext_for(request)))
    definition = session.get(ProcessDefinition, instance.definition_id)
    fmt = Formatter(locale_of(request))
    return page(request, "task.html", {
        "task": task, "instance": instance, "definition": definition, "form": form,
        "form_html": form_html.render_fields(form, locale_of(request)) if form else None,
        "facts": instance_facts(instance, definition, fmt, gettext_for(request)),
        "lines": quote_lines(instance), "problem": problem,
        "submitted": _form_data(session, task, same_guid=True) if task.status == TaskStatus.COMPLETED else None,
        "claimed_by_other": task.assignee not in (None, user.username),
    }, session=session, user=user, status_code=status_code)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A task I may work on (or worked on)."""
    task, instance = visible_task(session, user, task_id)
    return task_view(request, session, user, task, instance)


def _claimed(request: Request, session: Session, user: User, task: HumanTask, message: str) -> Response:
    """htmx: the task's inbox row plus the updated counts; a plain form: back where it came from."""
    if not is_htmx(request):
        flash(request, message)
        return redirect(safe_next(request.query_params.get("next"), f"/tasks/{task.id}"))
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    counts = inbox.counts(session=session, actor=actor_of(user))
    return fragment(request, "partials/task_row_swap.html", {"row": inbox_rows(session, [(task, instance)])[0],
                                                             "counts": counts, "message": message})


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, task_id: int, session: SessionDep, user: UserDep) -> Response:
    """Take the task: 409 if someone else has it."""
    task = runtime.claim_task(session=session, task_id=task_id, actor=actor_of(user))
    session.commit()
    _ = gettext_for(request)
    message = _("You claimed “%(name)s”.") % {"name": task.name}
    return _claimed(request, session, user, task, message)


@router.post("/tasks/{task_id}/unclaim")
def unclaim(request: Request, task_id: int, session: SessionDep, user: UserDep) -> Response:
    """Give the task back to its group."""
    task = runtime.unclaim_task(session=session, task_id=task_id, actor=actor_of(user))
    session.commit()
    _ = gettext_for(request)
    message = _("“%(name)s” is back in the group’s tasks.") % {"name": task.name}
    return _claimed(request, session, user, task, message)


@router.post("/tasks/{task_id}/complete", response_model=None)
async def complete(request: Request, task_id: int, session: SessionDep, user: UserDep) -> Response:
    """Complete with the posted form: errors re-render the page with what was entered; else go to my next task."""
    task, instance = visible_task(session, user, task_id)
    raw = form_html.parse_form((await request.form()).multi_items())
    actor = actor_of(user)
    try:
        data = form_html.typed_data(runtime.form_schema(session, task), raw)
        runtime.complete_task(session=session, task_id=task.id, actor=actor, data=data)
        session.commit()
    except (FlowdeskError, StaleDataError) as exc:
        return _failed(request, session, user, task_id, raw, exc)
    _ = gettext_for(request)
    nxt = runtime.next_task_for(session=session, instance_id=instance.id, actor=actor)
    if nxt is not None:
        flash(request, _("“%(done)s” completed. Next: %(next)s.") % {"done": task.name, "next": nxt.name})
        return redirect(f"/tasks/{nxt.id}")
    flash(request, _("“%(done)s” completed (%(key)s).") % {"done": task.name, "key": instance.business_key})
    return redirect("/")


def _failed(request: Request, session: Session, user: User, task_id: int, raw: dict[str, Any],
            exc: FlowdeskError | StaleDataError) -> HTMLResponse:
    """The task page again, as it is now, with the entered values and why completing did not work."""
    session.rollback()
    if isinstance(exc, Unauthorized):
        raise exc
    task, instance = visible_task(session, user, task_id)
    if isinstance(exc, InvalidInput) and exc.errors:
        return task_view(request, session, user, task, instance, values=raw, errors=exc.errors, status_code=422)
    problem = exc if isinstance(exc, FlowdeskError) else Conflict(
        "someone else changed this instance at the same time", code="concurrent_modification")
    return task_view(request, session, user, task, instance, values=raw, problem=problem,
                     status_code=status_for(problem))
