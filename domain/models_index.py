"""Imports every model module so Base.metadata is complete (Alembic, tests, create_all)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "domain.identity.models",
    "domain.crm.models",
    "domain.inventory.models",
    "domain.sales.models",
    "domain.procurement.models",
    "domain.finance.models",
    "domain.service.models",
    "domain.notifications.models",
    "engine.models",
)


def load_all_models() -> None:
    """Import each known model module (missing ones are a programming error)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
