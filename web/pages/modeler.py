"""In-browser modeling: a draft in the bpmn-js modeler with Flowdesk's properties panel, its decision tables in
dmn-js, its forms with a live preview; save, validate (issues pinned on the diagram) and deploy.

The JSON endpoints here serve the page's script with the session cookie (and the CSRF header); the same
operations are in /api/v1 for token clients.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from domain.errors import NotFound
from engine import drafts
from engine.models import ProcessDefinition
from web import form_html
from web.api.v1.drafts import (
    ConditionIn,
    DraftOut,
    DraftSave,
    DraftVersion,
    TimerIn,
    condition_check,
    groups,
    operators,
    require_reader,
    timer_preview,
    validation_out,
)
from web.deps import DEPLOYER_GROUPS, SessionDep, require_deployer
from web.form_html import N_
from web.pages.common import UserDep, flash, fragment, gettext_for, page, redirect
from web.templating import locale_of

router = APIRouter()

# The plain-language timer phrases of engine.timer_text, listed so that the catalog translates them.
TIMER_PHRASES = (
    N_("1 year"), N_("%(n)s years"), N_("1 month"), N_("%(n)s months"), N_("1 week"), N_("%(n)s weeks"),
    N_("1 day"), N_("%(n)s days"), N_("1 hour"), N_("%(n)s hours"), N_("1 minute"), N_("%(n)s minutes"),
    N_("1 second"), N_("%(n)s seconds"), N_("%(first)s %(second)s"),
    N_("%(duration)s after the task starts"), N_("%(duration)s after the process reaches this event"),
    N_("%(duration)s after deployment"), N_("every %(weekday)s %(time)s"), N_("every day at %(time)s"),
    N_("every day"), N_("every %(duration)s"), N_("%(cycle)s from %(start)s"), N_("%(cycle)s, %(n)s times"),
    N_("once, on %(date)s at %(time)s"), N_("computed from the process data when the timer starts: %(expression)s"),
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"),
)


@router.post("/processes/{key}/{version}/edit")
def edit_version(key: str, version: int, session: SessionDep, user: UserDep) -> Response:
    """Open the version's pending draft (or a new one) in the modeler."""
    require_deployer(user)
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                                ProcessDefinition.version == version))
    if definition is None:
        raise NotFound(f"process {key!r} has no version {version}", code="process_not_found")
    draft = drafts.open_for_edit(session=session, definition_id=definition.id, actor=user.username)
    session.commit()
    return redirect(f"/modeler/drafts/{draft.id}")


@router.get("/modeler/drafts/{draft_id}", response_class=HTMLResponse)
def modeler_page(request: Request, draft_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The draft in the modeler: diagram with properties panel, decision tables, forms."""
    require_reader(user)
    draft = drafts.get(session=session, draft_id=draft_id)
    base = session.get(ProcessDefinition, draft.base_definition_id) if draft.base_definition_id else None
    return page(request, "modeler.html", {
        "draft": draft, "base": base, "may_edit": bool(user.group_names & DEPLOYER_GROUPS),
        "draft_json": DraftOut.of(draft).model_dump(),
        "operators_json": [o.model_dump() for o in operators()],
        "groups_json": [g.model_dump() for g in groups(session)],
    }, session=session, user=user)


@router.post("/modeler/drafts/{draft_id}/save")
def save(draft_id: int, data: DraftSave, session: SessionDep, user: UserDep) -> DraftOut:
    """Save the edited files; a stale version is refused with 409 and the page keeps the edit."""
    require_deployer(user)
    draft = drafts.save(session=session, draft_id=draft_id, version=data.version, actor=user.username,
                        bpmn_xml=data.bpmn_xml, dmn_files=data.dmn_files, forms=data.forms)
    session.commit()
    return DraftOut.of(draft)


@router.post("/modeler/drafts/{draft_id}/validate")
def validate(draft_id: int, session: SessionDep, user: UserDep) -> Any:
    """The saved draft's issues (deploy checks and lint), each pinned to an element."""
    require_reader(user)
    return validation_out(drafts.validate(session=session, draft=drafts.get(session=session, draft_id=draft_id)))


@router.post("/modeler/drafts/{draft_id}/deploy")
def deploy(request: Request, draft_id: int, data: DraftVersion, session: SessionDep, user: UserDep) -> JSONResponse:
    """Deploy the saved draft; errors come back as problem JSON listing them, and nothing is deployed."""
    require_deployer(user)
    _ = gettext_for(request)
    result = drafts.deploy(session=session, draft_id=draft_id, version=data.version, actor=user.username)
    session.commit()
    d = result.definition
    if result.created:
        flash(request, _("Deployed %(process)s v%(version)s.") % {"process": d.name, "version": d.version})
    else:
        flash(request, _("Unchanged: %(process)s has the same content as v%(version)s.")
              % {"process": d.name, "version": d.version}, "info")
    return JSONResponse({"key": d.key, "version": d.version, "created": result.created,
                         "url": f"/processes/{d.key}/{d.version}"})


@router.post("/modeler/timer-preview")
def preview_timer(request: Request, data: TimerIn, user: UserDep) -> Any:
    """A timer expression in the user's language."""
    return timer_preview(data, gettext_for(request))


@router.post("/modeler/condition-check")
def check_condition(data: ConditionIn, user: UserDep) -> Any:
    """Whether a condition compiles in the sandbox."""
    return condition_check(data)


def _parse(text: str, what: str, _: Any) -> tuple[Any, str | None]:
    if not text.strip():
        return {}, None
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, _("%(what)s is not valid JSON (line %(line)s, column %(column)s): %(reason)s") % {
            "what": what, "line": exc.lineno, "column": exc.colno, "reason": exc.msg}


@router.post("/modeler/form-preview", response_class=HTMLResponse)
def form_preview(request: Request, user: UserDep, form_schema: Annotated[str, Form()] = "",
                 form_ui: Annotated[str, Form()] = "") -> HTMLResponse:
    """The form as the inbox renders it, from the edited JSON Schema (+ UI schema); invalid JSON shows inline."""
    _ = gettext_for(request)
    body, error = _parse(form_schema, _("The JSON Schema"), _)
    ui_body, ui_error = _parse(form_ui, _("The UI schema"), _) if error is None else (None, None)
    error = error or ui_error
    if error is None and not isinstance(body, dict):
        error = _("The JSON Schema must be an object.")
    if error is not None:
        return fragment(request, "modeler_form_preview.html", {"error": error, "form": None, "fields": None})
    form = form_html.build_form(body, ui_body if isinstance(ui_body, dict) else None)
    return fragment(request, "modeler_form_preview.html", {
        "error": None, "form": form, "fields": form_html.render_fields(form, locale_of(request))})

