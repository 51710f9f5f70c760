"""Suppliers, purchase requests and orders, goods receipts, supplier invoices (#3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
