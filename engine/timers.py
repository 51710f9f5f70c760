"""BPMN timers: due times come from the waiting workflow; each becomes a job that fires at its due time.

SpiffWorkflow reads the wall clock inside its timer module; Flowdesk points it at domain.clock so tests move
time instead of sleeping and every timer decision uses the same (injectable) now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from domain import clock
from engine.sandbox import SandboxEnvironment
from engine.script_engine import StepContext


class _ClockDatetime(datetime):
    """datetime whose now() is Flowdesk's clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:  # type: ignore[override]
        return cls.fromtimestamp(clock.now().timestamp(), tz)


spiff_timer.datetime = _ClockDatetime  # type: ignore[misc]


def _timer_definitions(task: Any) -> list[TimerEventDefinition]:
    """The timers a waiting task waits on: its own, or those among an event-based gateway's branches."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return [definition]
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)]
    return []


def _due(definition: TimerEventDefinition, task: Any) -> datetime | None:
    value = definition.details(task).value
    if not value or not isinstance(value, str):
        return None
    parsed = (TimerEventDefinition.parse_time_or_duration(value) if isinstance(definition, TimeDateEventDefinition)
              else TimerEventDefinition.get_datetime(value))
    return _utc(parsed) if isinstance(parsed, datetime) else None


def due_time(task: Any) -> datetime | None:
    """When a waiting timer task fires next, as an aware UTC datetime (None if it has no due time yet)."""
    dues = [due for d in _timer_definitions(task) if (due := _due(d, task)) is not None]
    return min(dues) if dues else None


def waiting_timers(workflow: BpmnWorkflow) -> list[Any]:
    """The timer tasks the workflow is waiting on (intermediate, boundary, in subprocesses too).

    The process's own timer start event is not one of them: the definition's schedule starts instances.
    """
    return [t for t in workflow.event_manager.tasks.values()
            if _timer_definitions(t) and not (isinstance(t.task_spec, StartEvent) and t.workflow is workflow)]


def start_timer_spec(spec: Any) -> Any | None:
    """The process's timer start event, if it has one."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and isinstance(
                getattr(task_spec, "event_definition", None), TimerEventDefinition):
            return task_spec
    return None


@dataclass(frozen=True)
class StartSchedule:
    due: datetime
    remaining: int  # further starts after this one; -1 = unbounded
    every: float  # seconds between starts (0: once)


def first_start(task_spec: Any, now: datetime) -> StartSchedule | None:
    """When a timer start event first starts an instance (cycles repeat; a date or duration starts once)."""
    definition = task_spec.event_definition
    expression = SandboxEnvironment().evaluate(definition.expression, {})
    if isinstance(definition, CycleTimerEventDefinition):
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        due, every = _utc(start), duration.total_seconds()
        if due < now and every > 0:  # start at the next occurrence: no burst of missed starts
            missed = math.ceil((now - due).total_seconds() / every)
            due += timedelta(seconds=missed * every)
            cycles = max(cycles - missed, 0) if cycles > 0 else cycles
        if cycles == 0:
            return None
        return StartSchedule(due, cycles - 1 if cycles > 0 else -1, every)
    if isinstance(definition, TimeDateEventDefinition):
        return StartSchedule(_utc(TimerEventDefinition.parse_time_or_duration(expression)), 0, 0)
    duration = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(expression), now)
    return StartSchedule(now + duration, 0, 0)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def schedule_start(*, session: Any, definition_id: int, schedule: StartSchedule) -> None:
    """The job that starts the next instance of a timer-started definition."""
    from engine import jobs

    jobs.enqueue(session=session, kind="start_timer", key=f"start_timer:{definition_id}:{schedule.due.isoformat()}",
                 due_at=schedule.due, payload={"definition_id": definition_id, "due": schedule.due.isoformat(),
                                                "remaining": schedule.remaining, "every": schedule.every})


def fire_start_event(workflow: BpmnWorkflow) -> None:
    """Make a new instance's timer start event fire at its first engine step, once (call before that step)."""
    for task in workflow.get_tasks():
        if (isinstance(task.task_spec, StartEvent) and task.workflow is workflow
                and isinstance(task.task_spec.event_definition, TimerEventDefinition)
                and not task.has_state(TaskState.FINISHED_MASK)):
            if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
                # One due cycle: left to the library, a cycle spawns one path per period since its start date.
                past = (clock.now() - timedelta(seconds=1)).isoformat()
                task._set_internal_data(event_value={"cycles": 1, "next": past, "duration": 0})
            else:
                task._set_internal_data(event_fired=True)


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


def next_start(schedule: StartSchedule) -> StartSchedule | None:
    """The start after this one, if the cycle goes on. Occurrences already past (the workers were down, or the
    job ran late) are skipped, not made up in a burst, as for the first start; they still count against R<n>."""
    if schedule.remaining == 0 or schedule.every <= 0:
        return None
    steps = 1
    now = clock.now()
    due = schedule.due + timedelta(seconds=schedule.every)
    if due <= now:
        steps += math.ceil((now - due).total_seconds() / schedule.every)
        due = schedule.due + timedelta(seconds=steps * schedule.every)
    remaining = schedule.remaining - steps if schedule.remaining > 0 else -1
    if schedule.remaining > 0 and remaining < 0:
        return None
    return StartSchedule(due, remaining, schedule.every)
