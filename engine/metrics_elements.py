"""Per BPMN element: instances passed, waiting now, durations (the heatmap), bottlenecks and the waiting drill-down.

Human tasks (user and manual tasks) have three durations, from their task rows:
waiting = ready -> claimed, working = claimed -> completed, total = ready -> completed. A task completed without an
explicit claim counts as claimed when it was completed (it waited all along). Other elements (service and script
tasks, events, gateways) write one completion event; their total duration is the time since the previous completion
event of the same instance (so an async service task counts its queue time, a timer its wait). Percentiles are
nearest-rank (see metrics_sql).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, union_all
from sqlalchemy.orm import Session

from domain import clock
from engine.history import EventType
from engine.metrics_rollup import path_events
from engine.metrics_sql import Distribution, Scope, distributions, seconds_between
from engine.models import ElementPassage, HumanTask, PassageRollup, ProcessInstance, TaskStatus

# Completion events of elements that are not human tasks (those come from their task rows).
AUTO_EVENTS = (EventType.ELEMENT_COMPLETED, EventType.SERVICE_CALLED)


class Mode(enum.StrEnum):
    WAITING = "waiting"
    WORKING = "working"
    TOTAL = "total"


@dataclass
class ElementFigures:
    """One element of the heatmap, in the chosen mode."""

    element_id: str
    human: bool
    passed: int = 0
    waiting_now: int = 0
    oldest_waiting_seconds: float | None = None
    duration: Distribution = field(default_factory=Distribution)

    def as_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "human": self.human, "passed": self.passed,
                "waiting_now": self.waiting_now, "oldest_waiting_seconds": self.oldest_waiting_seconds,
                **{k: v for k, v in self.duration.as_dict().items() if k != "count"}}


def _passages(scope: Scope, human: bool, column: Any) -> Any:
    """Durations of finished instances' passages from the roll-up."""
    return (select(ElementPassage.element_id.label("grp"), column.label("dur"))
            .where(ElementPassage.human.is_(human), ElementPassage.definition_id.in_(scope.definitions()),
                   *scope.facet_conditions(ElementPassage.instance_id), *scope.in_range(ElementPassage.completed_at)))


def _not_rolled_up() -> Any:
    return ~exists().where(PassageRollup.instance_id == ProcessInstance.id)


def _human_durations(session: Session, scope: Scope, mode: Mode) -> Any:
    claimed = func.coalesce(HumanTask.claimed_at, HumanTask.completed_at)
    start, end = {Mode.WAITING: (HumanTask.created_at, claimed), Mode.WORKING: (claimed, HumanTask.completed_at),
                  Mode.TOTAL: (HumanTask.created_at, HumanTask.completed_at)}[mode]
    column = {Mode.WAITING: ElementPassage.waiting_seconds, Mode.WORKING: ElementPassage.working_seconds,
              Mode.TOTAL: ElementPassage.total_seconds}[mode]
    live = (select(HumanTask.element_id.label("grp"), seconds_between(session, start, end).label("dur"))
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.COMPLETED, *scope.instance_conditions(), _not_rolled_up(),
                   *scope.in_range(HumanTask.completed_at)))
    return union_all(_passages(scope, True, column), live)


def live_instances(scope: Scope) -> Any:
    """Instances in scope not rolled up yet that were alive during the range."""
    alive = []
    if scope.until is not None:
        alive.append(ProcessInstance.started_at < scope.until)
    if scope.since is not None:
        alive.append((ProcessInstance.ended_at.is_(None)) | (ProcessInstance.ended_at >= scope.since))
    return select(ProcessInstance.id).where(*scope.instance_conditions(), _not_rolled_up(), *alive)


def _auto_durations(session: Session, scope: Scope) -> Any:
    path = path_events(live_instances(scope))
    started = select(ProcessInstance.started_at).where(ProcessInstance.id == path.c.instance_id).scalar_subquery()
    live = (select(path.c.element_id.label("grp"),
                   seconds_between(session, func.coalesce(path.c.prev_at, started), path.c.at).label("dur"))
            .where(path.c.type.in_(AUTO_EVENTS), path.c.element_id.is_not(None), *scope.in_range(path.c.at)))
    return union_all(_passages(scope, False, ElementPassage.total_seconds), live)


def _waiting_now(session: Session, scope: Scope, now: datetime) -> dict[str, tuple[int, float | None]]:
    oldest = func.min(HumanTask.created_at)
    stmt = (select(HumanTask.element_id, func.count(), oldest)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.OPEN, *scope.instance_conditions(joined=True))
            .group_by(HumanTask.element_id))
    return {el: (int(n), (now - first).total_seconds() if first else None) for el, n, first in session.execute(stmt)}


def heatmaps(*, session: Session, scope: Scope, modes: tuple[Mode, ...] = tuple(Mode), now: datetime | None = None
             ) -> dict[Mode, dict[str, ElementFigures]]:
    """The heatmap in several modes at once (the other elements' durations and the queues are read once)."""
    now = now or clock.now()
    auto = distributions(session, _auto_durations(session, scope))
    queues = _waiting_now(session, scope, now)
    result = {}
    for mode in modes:
        figures: dict[str, ElementFigures] = {}
        for element, dist in distributions(session, _human_durations(session, scope, mode)).items():
            figures[element] = ElementFigures(element, True, passed=dist.count, duration=dist)
        for element, dist in auto.items():
            if element not in figures:  # human tasks are counted from their rows
                shown = dist if mode == Mode.TOTAL else Distribution(count=dist.count)
                figures[element] = ElementFigures(element, False, passed=dist.count, duration=shown)
        for element, (n, oldest) in queues.items():
            row = figures.setdefault(element, ElementFigures(element, True))
            row.waiting_now, row.oldest_waiting_seconds = n, oldest
        result[mode] = figures
    return result


def heatmap(*, session: Session, scope: Scope, mode: Mode = Mode.TOTAL, now: datetime | None = None
            ) -> dict[str, ElementFigures]:
    """Per element id: passed in the range, waiting now, and the mean/p50/p90 duration in the mode.

    Elements that are not human tasks have a total duration only: in the waiting and working modes they show
    their count with no duration.
    """
    return heatmaps(session=session, scope=scope, modes=(mode,), now=now)[mode]


@dataclass(frozen=True)
class Bottleneck:
    element_id: str
    share: float
    total_seconds: float
    waiting_now: int
    oldest_waiting_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "share": self.share, "total_seconds": self.total_seconds,
                "waiting_now": self.waiting_now, "oldest_waiting_seconds": self.oldest_waiting_seconds}


def bottlenecks(*, session: Session, scope: Scope, now: datetime | None = None,
                figures: dict[str, ElementFigures] | None = None) -> tuple[list[Bottleneck], list[Bottleneck]]:
    """Elements ranked by their share of all time spent in elements (total mode), and by queue length now.

    The share is the element's summed total duration over the summed total durations of every element, so the
    shares of a process add up to 1.
    """
    figures = figures if figures is not None else heatmap(session=session, scope=scope, now=now)
    grand = sum(f.duration.total for f in figures.values())
    rows = [Bottleneck(f.element_id, f.duration.total / grand if grand else 0.0, f.duration.total, f.waiting_now,
                       f.oldest_waiting_seconds) for f in figures.values()]
    by_time = sorted((r for r in rows if r.total_seconds > 0), key=lambda r: (-r.share, r.element_id))
    by_queue = sorted((r for r in rows if r.waiting_now > 0),
                      key=lambda r: (-r.waiting_now, -(r.oldest_waiting_seconds or 0), r.element_id))
    return by_time, by_queue


@dataclass(frozen=True)
class WaitingTask:
    task_id: int
    instance_id: int
    business_key: str | None
    name: str
    candidate_group: str | None
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    age_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "instance_id": self.instance_id, "business_key": self.business_key,
                "name": self.name, "candidate_group": self.candidate_group, "assignee": self.assignee,
                "created_at": self.created_at.isoformat(), "due_at": self.due_at.isoformat() if self.due_at else None,
                "age_seconds": self.age_seconds}


def waiting_at(*, session: Session, scope: Scope, element_id: str, now: datetime | None = None, limit: int = 100
               ) -> list[WaitingTask]:
    """The open tasks of one element with their instance and age, oldest first (the bottleneck drill-down)."""
    now = now or clock.now()
    stmt = (select(HumanTask, ProcessInstance.business_key)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.OPEN, HumanTask.element_id == element_id,
                   *scope.instance_conditions(joined=True))
            .order_by(HumanTask.created_at, HumanTask.id).limit(limit))
    return [WaitingTask(t.id, t.instance_id, key, t.name, t.candidate_group, t.assignee, t.created_at, t.due_at,
                        (now - t.created_at).total_seconds()) for t, key in session.execute(stmt)]
