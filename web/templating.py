"""Jinja2 rendering with gettext, locale formatting and the CSRF token in every context."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain.settings import get_settings
from web.i18n import Formatter, negotiate, translations

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def locale_of(request: Request) -> str:
    """The request's locale (set by the auth middleware from the user's setting, else Accept-Language)."""
    return getattr(request.state, "locale", None) or negotiate(
        request.session.get("locale"), request.headers.get("accept-language"), get_settings().default_locale
    )


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
           ) -> HTMLResponse:
    """Render a template for this request's locale."""
    locale = locale_of(request)
    trans = translations(locale)
    tmpl = env.get_template(template)
    ctx = {
        "request": request,
        "csrf_token": csrf_token(request),
        "fmt": Formatter(locale),
        "locale": locale,
        "current_user": getattr(request.state, "user", None),
        "gettext": trans.gettext,
        "ngettext": trans.ngettext,
        "_": trans.gettext,
        **(context or {}),
    }
    return HTMLResponse(tmpl.render(ctx), status_code=status_code)
