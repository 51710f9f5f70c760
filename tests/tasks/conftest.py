"""Fixtures for transport and fault tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.settings import get_settings
from engine import services


@pytest.fixture
def fault_operators(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test-only operators of tests.fault_operators, registered as a deployment would (settings + registry)."""
    monkeypatch.setenv("FLOWDESK_OPERATOR_MODULES", "tests.fault_operators")
    get_settings.cache_clear()
    services.registry.cache_clear()
    yield
    monkeypatch.delenv("FLOWDESK_OPERATOR_MODULES")
    get_settings.cache_clear()
    services.registry.cache_clear()
