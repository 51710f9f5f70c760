"""Translated labels for engine values (event types, statuses, customer tiers): msgids here, gettext where shown."""

from __future__ import annotations

from engine.history import EventType
from engine.models import InstanceStatus, TaskStatus
from web.form_html import N_

EVENT_LABELS: dict[str, str] = {
    EventType.DEFINITION_DEPLOYED: N_("Definition deployed"),
    EventType.INSTANCE_STARTED: N_("Instance started"),
    EventType.INSTANCE_COMPLETED: N_("Instance completed"),
    EventType.INSTANCE_FAILED: N_("Instance failed"),
    EventType.INSTANCE_CANCELLED: N_("Instance cancelled"),
    EventType.INSTANCE_SUSPENDED: N_("Instance suspended"),
    EventType.INSTANCE_RESUMED: N_("Instance resumed"),
    EventType.INSTANCE_MIGRATED: N_("Instance migrated"),
    EventType.ELEMENT_COMPLETED: N_("Step completed"),
    EventType.TASK_READY: N_("Task ready"),
    EventType.TASK_CLAIMED: N_("Task claimed"),
    EventType.TASK_UNCLAIMED: N_("Task unclaimed"),
    EventType.TASK_COMPLETED: N_("Task completed"),
    EventType.TASK_CANCELLED: N_("Task cancelled"),
    EventType.SERVICE_CALLED: N_("Service called"),
    EventType.SERVICE_FAILED: N_("Service failed"),
    EventType.JOB_SCHEDULED: N_("Job scheduled"),
    EventType.TASK_REASSIGNED: N_("Task reassigned"),
    EventType.TIMER_FIRED: N_("Timer fired"),
    EventType.MESSAGE_CORRELATED: N_("Message received"),
    EventType.MESSAGE_SENT: N_("Message sent"),
    EventType.INCIDENT_RAISED: N_("Incident raised"),
    EventType.INCIDENT_RETRIED: N_("Incident retried"),
    EventType.INCIDENT_RESOLVED: N_("Incident resolved"),
    EventType.HISTORY_ARCHIVED: N_("History archived"),
}

INSTANCE_STATUS_LABELS: dict[str, str] = {
    InstanceStatus.RUNNING: N_("Running"),
    InstanceStatus.COMPLETED: N_("Completed"),
    InstanceStatus.ERROR: N_("Error"),
    InstanceStatus.SUSPENDED: N_("Suspended"),
    InstanceStatus.CANCELLED: N_("Cancelled"),
}

TASK_STATUS_LABELS: dict[str, str] = {
    TaskStatus.OPEN: N_("Open"),
    TaskStatus.COMPLETED: N_("Completed"),
    TaskStatus.CANCELLED: N_("Cancelled"),
}

TIER_LABELS: dict[str, str] = {
    "strategic": N_("Strategic account"),
    "key": N_("Key account"),
    "regular": N_("Regular customer"),
}


def label(table: dict[str, str], value: object) -> str:
    """The msgid for value in table, else the value itself."""
    return table.get(str(value), str(value))
