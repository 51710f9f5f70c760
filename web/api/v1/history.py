"""History exports (XES) and retention (#6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/history", tags=["history"])
