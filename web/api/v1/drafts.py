"""Process drafts: save, validate, deploy (#5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/process-drafts", tags=["process-drafts"])
