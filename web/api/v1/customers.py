"""Customers, contacts, leads, opportunities (#3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/customers", tags=["customers"])
