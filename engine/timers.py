"""BPMN timers: due times come from the waiting workflow; each becomes a job that fires at its due time.

SpiffWorkflow reads the wall clock inside its timer module; Flowdesk points it at domain.clock so tests move
time instead of sleeping and every timer decision uses the same (injectable) now.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition

from domain import clock
from engine.script_engine import StepContext


class _ClockDatetime(datetime):
    """datetime whose now() is Flowdesk's clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:  # type: ignore[override]
        return cls.fromtimestamp(clock.now().timestamp(), tz)


spiff_timer.datetime = _ClockDatetime  # type: ignore[misc]


def due_time(task: Any) -> datetime | None:
    """When a waiting timer task fires, as an aware UTC datetime (None if it has no due time yet)."""
    definition = task.task_spec.event_definition
    value = definition.details(task).value
    if not value or not isinstance(value, str):
        return None
    parsed = (TimerEventDefinition.parse_time_or_duration(value) if isinstance(definition, TimeDateEventDefinition)
              else TimerEventDefinition.get_datetime(value))
    if not isinstance(parsed, datetime):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def waiting_timers(workflow: BpmnWorkflow) -> list[Any]:
    """The timer tasks the workflow is waiting on (intermediate, boundary, in subprocesses too)."""
    return [t for t in workflow.event_manager.tasks.values()
            if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]


def schedule(ctx: StepContext, workflow: BpmnWorkflow) -> None:
    """A job per waiting timer at its due time (idempotent per task and due time)."""
    from engine import jobs

    for task in waiting_timers(workflow):
        due = due_time(task)
        if due is None:
            continue
        jobs.enqueue(session=ctx.session, kind="timer", key=f"timer:{ctx.instance_id}:{task.id}:{due.isoformat()}",
                     instance_id=ctx.instance_id, task_guid=str(task.id), due_at=due,
                     payload={"element_id": task.task_spec.bpmn_id, "due": due.isoformat()})
