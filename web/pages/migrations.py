"""Migrating running instances between process versions (#5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
