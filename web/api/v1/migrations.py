"""Instance migration between versions: check and batch migrate (#5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/migrations", tags=["migrations"])
