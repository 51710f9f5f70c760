"""Suppliers, purchase requests/orders, receipts, supplier invoices (#3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["procurement"])
