"""The FastAPI application: HTML pages (Jinja2 + htmx), /api/v1 (JSON), static assets served locally."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from domain.settings import get_settings
from tasks import mailer  # noqa: F401 - installs the listener that gives every new outbox mail its job
from web import errors
from web.api.v1 import (
    auth,
    customers,
    drafts,
    finance,
    history,
    incidents,
    messages,
    metrics,
    migrations,
    process_definitions,
    process_instances,
    procurement,
    sales,
    service,
    tasks,
    webhooks,
)
from web.pages import router as pages_router

STATIC = Path(__file__).parent / "static"


def create_app() -> FastAPI:
    """The Flowdesk web application."""
    app = FastAPI(
        title="Flowdesk",
        version="0.1.0",
        description="Workflow-engine-centric BPM: executable BPMN for lead-to-cash, procurement and after-sales.",
    )
    settings = get_settings()
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="flowdesk_session",
                       same_site="lax", https_only=False, max_age=12 * 3600)
    api = APIRouter(prefix="/api/v1")
    for module in (auth, incidents, messages, process_definitions, process_instances, tasks, webhooks, drafts,
                   migrations, metrics, history, customers, sales, procurement, finance, service):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(pages_router.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    return app
