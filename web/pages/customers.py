"""Customers, contacts, leads, opportunities and the 360-degree customer page (#3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
