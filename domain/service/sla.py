"""The service-level policy: first response and resolution windows per priority, and how a ticket stands.

Windows are calendar hours from the ticket's creation (service runs around the clock; no business calendar).
A target is "at risk" once less than a quarter of its window is left, "breached" strictly after its due time:
a response at exactly the due time meets it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidInput


class Priority(enum.StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


@dataclass(frozen=True)
class SlaPolicy:
    response: timedelta
    resolution: timedelta


SLA_POLICIES: dict[Priority, SlaPolicy] = {
    Priority.P1: SlaPolicy(response=timedelta(hours=1), resolution=timedelta(hours=8)),
    Priority.P2: SlaPolicy(response=timedelta(hours=4), resolution=timedelta(hours=24)),
    Priority.P3: SlaPolicy(response=timedelta(hours=8), resolution=timedelta(hours=72)),
    Priority.P4: SlaPolicy(response=timedelta(hours=24), resolution=timedelta(hours=168)),
}
AT_RISK_SHARE = 4  # at risk when less than 1/AT_RISK_SHARE of the window remains

# Words people use for the priorities, accepted wherever a priority is given.
PRIORITY_ALIASES = {"urgent": Priority.P1, "high": Priority.P2, "normal": Priority.P3, "low": Priority.P4}


class SlaState(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


def parse_priority(value: str | Priority) -> Priority:
    """P1-P4 or urgent/high/normal/low (any case) as a Priority."""
    text = str(value).strip()
    if text.upper() in Priority.__members__:
        return Priority(text.upper())
    if text.lower() in PRIORITY_ALIASES:
        return PRIORITY_ALIASES[text.lower()]
    raise InvalidInput(f"priority must be P1-P4 or urgent/high/normal/low, got {value!r}")


def due_times(priority: Priority, created_at: datetime) -> tuple[datetime, datetime]:
    """(response due, resolution due) for a ticket of this priority created at created_at."""
    policy = SLA_POLICIES[priority]
    return created_at + policy.response, created_at + policy.resolution


def target_state(*, due_at: datetime, window: timedelta, done_at: datetime | None, as_of: datetime) -> SlaState:
    """How one target stands at as_of: met or breached once done, else on track, at risk or breached."""
    if done_at is not None and done_at <= as_of:
        return SlaState.MET if done_at <= due_at else SlaState.BREACHED
    if as_of > due_at:
        return SlaState.BREACHED
    return SlaState.AT_RISK if due_at - as_of < window / AT_RISK_SHARE else SlaState.ON_TRACK
