"""All HTML pages; every POST among them must carry the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.pages import (
    audit,
    auth,
    customers,
    dashboards,
    finance,
    inbox,
    instances,
    migrations,
    modeler,
    operations,
    outbox,
    processes,
    procurement,
    sales,
    service,
    start,
    tasks,
)
from web.pages.common import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
for module in (auth, inbox, tasks, start, processes, modeler, migrations, instances, operations, outbox, audit,
               dashboards, customers, sales, procurement, finance, service):
    router.include_router(module.router)
