"""Open-task aging per candidate group and per assignee, and the workload of each user."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from domain import clock
from engine.metrics_sql import Scope
from engine.models import HumanTask, ProcessInstance, TaskStatus

# Upper bounds (seconds) of the age buckets of open tasks; the last bucket is open.
AGE_BUCKETS = (3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400)
NO_GROUP = ""


def _bucket_columns(now: datetime) -> list[Any]:
    """One count per age bucket, comparing created_at with fixed instants (portable, index friendly)."""
    cuts = [now - timedelta(seconds=s) for s in AGE_BUCKETS]
    cols = []
    newer: datetime | None = None
    for cut in cuts:
        cond = HumanTask.created_at > cut if newer is None else and_(HumanTask.created_at > cut,
                                                                     HumanTask.created_at <= newer)
        cols.append(func.sum(case((cond, 1), else_=0)))
        newer = cut
    cols.append(func.sum(case((HumanTask.created_at <= cuts[-1], 1), else_=0)))
    return cols


def aging(*, session: Session, scope: Scope, by: str = "group", now: datetime | None = None
          ) -> dict[str, list[int]]:
    """Open tasks per age bucket (AGE_BUCKETS, then older), per candidate group ("" for none) or per assignee
    (claimed tasks only)."""
    now = now or clock.now()
    key = HumanTask.candidate_group if by == "group" else HumanTask.assignee
    stmt = (select(key, *_bucket_columns(now))
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == TaskStatus.OPEN, *scope.instance_conditions(joined=True))
            .group_by(key).order_by(key))
    if by != "group":
        stmt = stmt.where(HumanTask.assignee.is_not(None))
    return {(name or NO_GROUP): [int(n or 0) for n in counts] for name, *counts in session.execute(stmt)}


@dataclass
class Workload:
    """One user's tasks: open in their groups and unclaimed, claimed by them, completed by them in the range."""

    user: str
    open: int = 0
    claimed: int = 0
    completed: int = 0
    groups: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user, "open": self.open, "claimed": self.claimed, "completed": self.completed,
                "groups": self.groups}


def workload(*, session: Session, scope: Scope, groups_of: Mapping[str, Collection[str]] | None = None
             ) -> list[Workload]:
    """Per user: unclaimed open tasks of their groups (groups_of: user -> groups), open tasks they claimed, and
    tasks they completed in the range. Users without any task are left out."""
    groups_of = groups_of or {}
    def counts(key: Any, *conds: Any) -> dict[str, int]:
        stmt = (select(key, func.count()).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(*scope.instance_conditions(joined=True), *conds).group_by(key))
        return {name or NO_GROUP: int(n) for name, n in session.execute(stmt)}

    unclaimed = counts(HumanTask.candidate_group, HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.is_(None))
    claimed = counts(HumanTask.assignee, HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.is_not(None))
    completed = counts(HumanTask.completed_by, HumanTask.status == TaskStatus.COMPLETED,
                       HumanTask.completed_by.is_not(None), *scope.in_range(HumanTask.completed_at))
    rows = []
    for user in sorted(set(groups_of) | set(claimed) | set(completed)):
        groups = sorted(groups_of.get(user, ()))
        row = Workload(user, open=sum(unclaimed.get(g, 0) for g in groups), claimed=int(claimed.get(user, 0)),
                       completed=int(completed.get(user, 0)), groups=groups)
        if row.open or row.claimed or row.completed:
            rows.append(row)
    return rows
