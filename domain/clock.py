"""An injectable clock: tests move time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _now()


def set_clock(func: Callable[[], datetime]) -> None:
    """Replace the clock (tests)."""
    global _now
    _now = func


def reset_clock() -> None:
    """Back to the wall clock."""
    set_clock(lambda: datetime.now(UTC))
