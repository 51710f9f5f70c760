"""All HTML pages; every POST among them must carry the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.pages import audit, auth, inbox, instances, operations, outbox, processes, start, tasks
from web.pages.common import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
for module in (auth, inbox, tasks, start, processes, instances, operations, outbox, audit):
    router.include_router(module.router)
