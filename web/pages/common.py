"""What every page shares: the signed-in user and their locale, CSRF checks, flash messages, rendering."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from babel.dates import format_timedelta
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Forbidden, NotFound
from domain.identity.models import User
from domain.settings import get_settings
from engine import inbox
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from web.deps import PageUser, actor_of
from web.i18n import negotiate, translations
from web.pages import labels
from web.templating import locale_of, render

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class UserView:
    """What templates show of the signed-in user; plain data, so error pages can use it after the session closed."""

    id: int
    username: str
    display_name: str
    group_names: frozenset[str]


def signed_in(request: Request, user: PageUser) -> User:
    """The session's user; sets request.state.user and the locale (user setting, then session, then browser)."""
    request.state.user = UserView(user.id, user.username, user.display_name, frozenset(user.group_names))
    request.state.locale = negotiate(user.locale or request.session.get("locale"),
                                     request.headers.get("accept-language"), get_settings().default_locale)
    return user


UserDep = Annotated[User, Depends(signed_in)]


async def csrf_protect(request: Request) -> None:
    """Every POST carries the session's token: form field csrf_token, or header X-CSRF-Token (htmx)."""
    if request.method != "POST":
        return
    expected = request.session.get("csrf")
    sent: Any = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").split(";")[0].strip() in FORM_TYPES:
        sent = (await request.form()).get("csrf_token")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), str(expected).encode()):
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again",
                        code="csrf_failed")


def gettext_for(request: Request) -> Any:
    """The gettext function of the request's locale (for messages made in Python)."""
    return translations(locale_of(request)).gettext


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A message shown once, on the next page (already translated)."""
    request.session["flash"] = [*request.session.get("flash", []), {"kind": kind, "message": message}]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    """The pending flash messages, removed from the session."""
    return list(request.session.pop("flash", []) or [])


def safe_next(value: str | None, default: str = "/") -> str:
    """value if it is a path on this site, else default (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 or c.isspace() for c in value):
        return default
    parts = urlsplit(value)
    return default if parts.scheme or parts.netloc else value


def redirect(url: str) -> RedirectResponse:
    """303 See Other: the browser follows with a GET."""
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it wants a fragment)."""
    return request.headers.get("hx-request") == "true"


def age(locale: str) -> Callable[[datetime | None], str]:
    """A template helper: how long ago a datetime was, in words of locale."""

    def _age(moment: datetime | None) -> str:
        if moment is None:
            return ""
        return format_timedelta(clock.now() - moment, locale=locale, format="short")

    return _age


def page(request: Request, template: str, context: dict[str, Any], *, session: Session, user: User,
         status_code: int = 200) -> HTMLResponse:
    """A full page for the signed-in user: nav counts, flash messages and template helpers included."""
    ctx = {"counts": inbox.counts(session=session, actor=actor_of(user)), "flashes": pop_flashes(request), **context}
    return fragment(request, template, ctx, status_code=status_code)


def fragment(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A template (page or htmx fragment) with the page helpers: age() and the labels of engine values."""
    return render(request, template, {"age": age(locale_of(request)), "labels": labels, **context},
                  status_code=status_code)


def visible_task(session: Session, user: User, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    """A task the user may see (their groups', assigned to or completed by them), else NotFound (as the API)."""
    task = session.get(HumanTask, task_id)
    actor = actor_of(user)
    if task is None or not (actor.may_work(task) or user.username in (task.assignee, task.completed_by)):
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    return task, instance


def definition_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Process names by definition id."""
    if not ids:
        return {}
    rows = session.execute(select(ProcessDefinition.id, ProcessDefinition.name).where(ProcessDefinition.id.in_(ids)))
    return {row[0]: row[1] for row in rows}
