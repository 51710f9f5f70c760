"""Process monitoring figures (#6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/metrics", tags=["metrics"])
