"""All HTML pages; every POST among them must carry the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.pages import auth, inbox, instances, operations, outbox, start, tasks
from web.pages.common import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
for module in (auth, inbox, tasks, start, instances, operations, outbox):
    router.include_router(module.router)
