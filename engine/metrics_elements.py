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
from engine.metrics_facets import instances_with_facet_query
from engine.metrics_rollup import path_events
from engine.metrics_sql import Distribution, Scope, distributions, merged_distributions, seconds_between
from engine.models import ElementPassage, HumanTask, PassageRollup, ProcessInstance, TaskStatus

# Completion events of elements that are not human tasks (those come from their task rows).
AUTO_EVENTS = (EventType.ELEMENT_COMPLETED, EventType.SERVICE_CALLED)
WALK_SHARE = 0.1  # SQLite walks the rank indexes when about this share of the roll-up is in scope (see _walk)


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


def _passage_conditions(scope: Scope, human: bool, column: Any, instance: Any = ElementPassage.instance_id,
                        completed: Any = ElementPassage.completed_at) -> list[Any]:
    """Conditions on roll-up rows of one kind (human or not) with a duration in `column`, within the scope."""
    return [ElementPassage.human.is_(human), column.is_not(None), *scope.facet_conditions(instance),
            *scope.in_range(completed)]


def _passages(scope: Scope, human: bool, column: Any) -> Any:
    """Durations of finished instances' passages from the roll-up."""
    return (select(ElementPassage.element_id.label("grp"), column.label("dur"))
            .where(ElementPassage.definition_id.in_(scope.definitions()), *_passage_conditions(scope, human, column)))


def _share(session: Session, scope: Scope) -> float:
    """Roughly, the share of the roll-up in scope: its time range's share of the roll-up's span times the share
    of the process's instances having each chosen facet value."""
    share = 1.0
    if scope.since is not None or scope.until is not None:
        at, ends = ElementPassage.completed_at, []
        for definition in session.scalars(scope.definitions()):  # one at a time, min() and max() read the index
            where = ElementPassage.definition_id == definition
            ends += [session.scalar(select(func.min(at)).where(where)),
                     session.scalar(select(func.max(at)).where(where))]
        if not any(ends):
            return share
        first, last = min(e for e in ends if e), max(e for e in ends if e)
        if last <= first:
            return share
        start, end = max(first, scope.since or first), min(last, scope.until or last)
        share = max(0.0, (end - start).total_seconds()) / (last - first).total_seconds()
    if scope.facets:
        instances = session.scalar(select(func.count()).select_from(ProcessInstance)
                                   .where(ProcessInstance.process_key == scope.process_key)) or 1
        for name, value in scope.facets:
            having = session.scalar(select(func.count()).select_from(instances_with_facet_query(name, value)
                                                                     .subquery())) or 0
            share *= min(1.0, having / instances)
    return share


def _walk(session: Session, scope: Scope) -> bool:
    """Whether SQLite should walk the rank indexes (every passage of an element, in order) rather than sort the
    passages in scope: measured at 100,000 instances, walking pays from about a tenth of them."""
    return session.get_bind().dialect.name == "sqlite" and _share(session, scope) >= WALK_SHARE


def _durations(session: Session, scope: Scope, human: bool, column: Any, live: Any, walk: bool
               ) -> dict[str, Distribution]:
    """Per element, the distribution of the roll-up's durations in `column` and the live ones.

    PostgreSQL aggregates with percentile_disc(). SQLite, when `walk`, reads each nearest-rank value along the
    element's ix_element_passage_*_rank index, one arm per definition (merged in order by SQLite), instead of
    sorting the rows in scope.
    """
    if not walk:
        return distributions(session, union_all(_passages(scope, human, column), live))
    definitions = list(session.scalars(scope.definitions()))
    conds = _passage_conditions(scope, human, column)
    groups = (select(ElementPassage.element_id, func.count(), func.sum(column))
              .where(ElementPassage.definition_id.in_(definitions), *conds).group_by(ElementPassage.element_id))

    # Wrapped so that SQLite cannot start from the facet's instances or the time range and sort: the walk must
    # follow the rank index, which holds both columns to filter on.
    along = _passage_conditions(scope, human, column, ElementPassage.instance_id + 0,
                               func.coalesce(ElementPassage.completed_at, ElementPassage.completed_at))

    def stored(element: str) -> Any:
        arms = [select(column.label("dur"))
                .where(ElementPassage.definition_id == d, ElementPassage.element_id == element, *along)
                for d in definitions]
        return arms[0] if len(arms) == 1 else union_all(*arms)

    return merged_distributions(session, stored, groups, live)


def _not_rolled_up() -> Any:
    return ~exists().where(PassageRollup.instance_id == ProcessInstance.id)


def _human_durations(session: Session, scope: Scope, mode: Mode, walk: bool) -> dict[str, Distribution]:
    claimed = func.coalesce(HumanTask.claimed_at, HumanTask.completed_at)
    start, end = {Mode.WAITING: (HumanTask.created_at, claimed), Mode.WORKING: (claimed, HumanTask.completed_at),
                  Mode.TOTAL: (HumanTask.created_at, HumanTask.completed_at)}[mode]
    column = {Mode.WAITING: ElementPassage.waiting_seconds, Mode.WORKING: ElementPassage.working_seconds,
              Mode.TOTAL: ElementPassage.total_seconds}[mode]
    live = (select(HumanTask.element_id.label("grp"), seconds_between(session, start, end).label("dur"))
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.COMPLETED, *scope.instance_conditions(), _not_rolled_up(),
                   *scope.in_range(HumanTask.completed_at)))
    return _durations(session, scope, True, column, live, walk)


def live_instances(scope: Scope) -> Any:
    """Instances in scope not rolled up yet that were alive during the range."""
    alive = []
    if scope.until is not None:
        alive.append(ProcessInstance.started_at < scope.until)
    if scope.since is not None:
        alive.append((ProcessInstance.ended_at.is_(None)) | (ProcessInstance.ended_at >= scope.since))
    return select(ProcessInstance.id).where(*scope.instance_conditions(), _not_rolled_up(), *alive)


def _auto_durations(session: Session, scope: Scope, walk: bool) -> dict[str, Distribution]:
    path = path_events(live_instances(scope))
    started = select(ProcessInstance.started_at).where(ProcessInstance.id == path.c.instance_id).scalar_subquery()
    live = (select(path.c.element_id.label("grp"),
                   seconds_between(session, func.coalesce(path.c.prev_at, started), path.c.at).label("dur"))
            .where(path.c.type.in_(AUTO_EVENTS), path.c.element_id.is_not(None), *scope.in_range(path.c.at)))
    return _durations(session, scope, False, ElementPassage.total_seconds, live, walk)


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
    walk = _walk(session, scope)
    auto = _auto_durations(session, scope, walk)
    queues = _waiting_now(session, scope, now)
    result = {}
    for mode in modes:
        figures: dict[str, ElementFigures] = {}
        for element, dist in _human_durations(session, scope, mode, walk).items():
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
