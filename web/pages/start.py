"""Starting a process: every latest definition with its start form; then on to my first task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from domain.errors import FlowdeskError, InvalidInput, NotFound, Unauthorized
from domain.identity.models import User
from engine import deployment, runtime
from engine.models import ProcessDefinition
from web import form_html
from web.deps import SessionDep, actor_of
from web.errors import status_for
from web.pages import diagram
from web.pages.common import UserDep, flash, gettext_for, page, redirect
from web.pages.messages import readable_errors
from web.templating import locale_of

router = APIRouter()


@dataclass
class StartCard:
    """A process as the start page offers it."""

    definition: ProcessDefinition
    description: str
    form: form_html.Form | None
    fields: Markup | None
    business_key: str = ""
    problem: FlowdeskError | None = None


def _card(definition: ProcessDefinition, locale: str, values: dict[str, Any] | None = None,
          errors: list[dict[str, Any]] | None = None) -> StartCard:
    schema, ui = diagram.start_form(definition)
    form = form_html.build_form(schema, ui, values, errors) if schema is not None else None
    description = diagram.info(definition).documentation
    return StartCard(definition, description, form, form_html.render_fields(form, locale) if form else None)


def _start_page(request: Request, session: Session, user: User, failed: StartCard | None = None,
                status_code: int = 200) -> HTMLResponse:
    locale = locale_of(request)
    cards = [failed if failed and failed.definition.key == d.key else _card(d, locale)
             for d in runtime.startable(session=session, actor=actor_of(user))]
    return page(request, "start.html", {"cards": cards, "open_key": failed.definition.key if failed else None},
                session=session, user=user, status_code=status_code)


@router.get("/start", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The processes I may start."""
    return _start_page(request, session, user)


@router.post("/start/{process_key}", response_model=None)
async def start(request: Request, process_key: str, session: SessionDep, user: UserDep) -> Response:
    """Start the newest version with the posted start form; on to my first task, else to the instance."""
    definition = deployment.latest(session=session, key=process_key)
    if definition is None:
        raise NotFound(f"no deployed process {process_key!r}", code="process_not_found")
    posted = await request.form()
    raw = form_html.parse_form(posted.multi_items())
    business_key = str(posted.get("_business_key", "")).strip() or None
    actor = actor_of(user)
    try:
        data = form_html.typed_data(diagram.start_form(definition)[0], raw)
        instance = runtime.start_instance(session=session, process_key=process_key, actor=actor,
                                          business_key=business_key, variables=data)
        session.commit()
    except FlowdeskError as exc:
        session.rollback()
        if isinstance(exc, Unauthorized):
            raise
        return _start_failed(request, session, user, process_key, raw, business_key, exc)
    _ = gettext_for(request)
    flash(request, _("Started %(process)s %(key)s.") % {"process": definition.name, "key": instance.business_key})
    nxt = runtime.next_task_for(session=session, instance_id=instance.id, actor=actor)
    return redirect(f"/tasks/{nxt.id}" if nxt else f"/instances/{instance.id}")


def _start_failed(request: Request, session: Session, user: User, key: str, raw: dict[str, Any],
                  business_key: str | None, exc: FlowdeskError) -> HTMLResponse:
    definition = deployment.latest(session=session, key=key)
    assert definition is not None
    field_errors = exc.errors if isinstance(exc, InvalidInput) else None
    card = _card(definition, locale_of(request), raw, readable_errors(field_errors, gettext_for(request)))
    card.business_key = business_key or ""
    card.problem = None if field_errors else exc
    return _start_page(request, session, user, card, status_for(exc))
