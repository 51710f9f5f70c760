"""Invoices, payments, credit notes, AR aging (#3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["finance"])
