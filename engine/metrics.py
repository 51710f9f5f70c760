"""Process monitoring for managers: the KPIs of one process (and version) over a time range.

The element heatmap and bottlenecks live in metrics_elements, task aging and workload in metrics_work, branch
shares in metrics_branches; all share metrics_sql's Scope and its nearest-rank percentiles. Every figure is
aggregated in the database: nothing here loops over all instances in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from domain import clock
from engine.metrics_facets import instances_with_facet
from engine.metrics_sql import Distribution, Scope, day_of, distributions, one_group, seconds_between
from engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)

__all__ = ["Kpis", "Scope", "cycle_histogram", "instances_with_facet", "kpis", "processes"]

# Upper bounds (seconds) of the cycle-time histogram's buckets; the last bucket is open.
CYCLE_BUCKETS = (3600, 4 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400)


@dataclass
class Kpis:
    """The headline figures of one process scope."""

    started_per_day: list[tuple[str, int]] = field(default_factory=list)
    completed_per_day: list[tuple[str, int]] = field(default_factory=list)
    running: int = 0
    cycle_time: Distribution = field(default_factory=Distribution)
    cycle_histogram: list[tuple[int | None, int]] = field(default_factory=list)
    sla_completed_late: int = 0
    sla_open_overdue: int = 0
    sla_tasks_with_due: int = 0
    open_incidents: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_per_day": [{"day": d, "count": n} for d, n in self.started_per_day],
            "completed_per_day": [{"day": d, "count": n} for d, n in self.completed_per_day],
            "running": self.running,
            "cycle_time": self.cycle_time.as_dict(),
            "cycle_histogram": [{"le": le, "count": n} for le, n in self.cycle_histogram],
            "sla": {"completed_late": self.sla_completed_late, "open_overdue": self.sla_open_overdue,
                    "tasks_with_due": self.sla_tasks_with_due},
            "open_incidents": self.open_incidents,
        }


def processes(*, session: Session) -> list[dict[str, Any]]:
    """Every deployed process key with its name, versions, running and completed instance counts."""
    defs = session.execute(select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version)
                           .order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
    counts = dict(((key, status), n) for key, status, n in session.execute(
        select(ProcessInstance.process_key, ProcessInstance.status, func.count())
        .group_by(ProcessInstance.process_key, ProcessInstance.status)))
    result: dict[str, dict[str, Any]] = {}
    for key, name, version in defs:
        row = result.setdefault(key, {"key": key, "name": name, "versions": [],
                                      "running": counts.get((key, InstanceStatus.RUNNING), 0),
                                      "completed": counts.get((key, InstanceStatus.COMPLETED), 0)})
        row["name"] = name or key
        row["versions"].append(version)
    return list(result.values())


def _per_day(session: Session, scope: Scope, column: Any, *extra: Any) -> list[tuple[str, int]]:
    day = day_of(session, column)
    stmt = (select(day, func.count()).where(*scope.instance_conditions(), *scope.in_range(column), *extra)
            .group_by(day).order_by(day))
    return [(str(d), int(n)) for d, n in session.execute(stmt)]


def _cycle_durations(session: Session, scope: Scope) -> Any:
    return select(one_group().label("grp"),
                  seconds_between(session, ProcessInstance.started_at, ProcessInstance.ended_at).label("dur")).where(
        *scope.instance_conditions(), ProcessInstance.status == InstanceStatus.COMPLETED,
        *scope.in_range(ProcessInstance.ended_at))


def cycle_histogram(*, session: Session, scope: Scope) -> list[tuple[int | None, int]]:
    """Completed instances per cycle-time bucket: (upper bound in seconds or None for the last, count)."""
    sub = _cycle_durations(session, scope).subquery()
    bounds = (0, *CYCLE_BUCKETS)
    cols = [func.sum(case((and_(sub.c.dur > low, sub.c.dur <= high) if low else sub.c.dur <= high, 1), else_=0))
            for low, high in zip(bounds, CYCLE_BUCKETS, strict=False)]
    cols.append(func.sum(case((sub.c.dur > CYCLE_BUCKETS[-1], 1), else_=0)))
    row = session.execute(select(*cols)).one()
    return list(zip([*CYCLE_BUCKETS, None], [int(n or 0) for n in row], strict=True))


def _sla(session: Session, scope: Scope, now: datetime) -> tuple[int, int, int]:
    # Two statements, each on its own index: tasks completed in the range, and open tasks past due now.
    done = (select(func.count(), func.sum(case((HumanTask.completed_at > HumanTask.due_at, 1), else_=0)))
            .select_from(HumanTask)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.COMPLETED, HumanTask.due_at.is_not(None),
                   *scope.in_range(HumanTask.completed_at), *scope.instance_conditions(joined=True)))
    overdue = (select(func.count()).select_from(HumanTask)
               .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
               .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now,
                      *scope.instance_conditions(joined=True)))
    with_due, late = session.execute(done).one()
    return int(late or 0), int(session.scalar(overdue) or 0), int(with_due or 0)


def kpis(*, session: Session, scope: Scope, now: datetime | None = None) -> Kpis:
    """Started and completed per day, running now, cycle-time distribution, SLA breaches and open incidents.

    Started counts instances started in the range, completed (and the cycle time) those that ended in it. SLA
    breaches are human tasks completed in the range after their due time, plus open tasks past due now.
    """
    now = now or clock.now()
    running = session.scalar(select(func.count()).select_from(ProcessInstance).where(
        *scope.instance_conditions(), ProcessInstance.status == InstanceStatus.RUNNING)) or 0
    incidents = session.scalar(select(func.count()).select_from(Incident)
                               .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
                               .where(Incident.status == IncidentStatus.OPEN,
                                      *scope.instance_conditions(joined=True))) or 0
    late, overdue, with_due = _sla(session, scope, now)
    return Kpis(
        started_per_day=_per_day(session, scope, ProcessInstance.started_at),
        completed_per_day=_per_day(session, scope, ProcessInstance.ended_at,
                                   ProcessInstance.status == InstanceStatus.COMPLETED),
        running=int(running),
        cycle_time=distributions(session, _cycle_durations(session, scope)).get("all", Distribution()),
        cycle_histogram=cycle_histogram(session=session, scope=scope),
        sla_completed_late=late, sla_open_overdue=overdue, sla_tasks_with_due=with_due,
        open_incidents=int(incidents),
    )
