"""Process monitoring figures (#6): KPIs, element heatmap, bottlenecks, aging, workload and branch shares as JSON.

Every endpoint takes the same filters: version, since/until (days, both included) and the instance facets
customer_tier, region and customer_code. Managers, process owners, admins and auditors may read them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.errors import Forbidden, NotFound
from domain.identity.models import User
from engine import metrics, metrics_branches, metrics_elements, metrics_rollup, metrics_work
from engine.metrics_elements import Mode
from engine.metrics_facets import FACET_PATHS
from engine.metrics_sql import Scope
from engine.metrics_work import AGE_BUCKETS
from engine.models import ProcessDefinition
from web.deps import ApiUser, SessionDep

router = APIRouter(prefix="/metrics", tags=["metrics"])
MONITOR_GROUPS = {"manager", "process_owner", "admin", "auditor"}


def require_monitor(user: User) -> None:
    """Managers, process owners, admins and auditors read monitoring figures."""
    if not (user.group_names & MONITOR_GROUPS):
        raise Forbidden("only managers, process owners, admins and auditors may read process monitoring",
                        code="not_a_monitor")


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[since 00:00, the day after until 00:00) in UTC: both days are included."""
    return (datetime.combine(since, time(), UTC) if since else None,
            datetime.combine(until + timedelta(days=1), time(), UTC) if until else None)


def make_scope(session: Session, key: str, version: int | None, since: date | None, until: date | None,
               facets: dict[str, str]) -> Scope:
    """The scope of a request; NotFound for an unknown process or version."""
    exists = select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key)
    if version is not None:
        exists = exists.where(ProcessDefinition.version == version)
    if not session.scalar(exists):
        raise NotFound(f"no deployed process {key!r}" + (f" version {version}" if version else ""),
                       code="process_not_found")
    start, end = day_range(since, until)
    chosen = tuple(sorted((k, v.strip()) for k, v in facets.items() if k in FACET_PATHS and v and v.strip()))
    return Scope(key, version, start, end, chosen)


def definition_for(session: Session, scope: Scope) -> ProcessDefinition:
    """The diagram the figures are drawn on: the chosen version, else the newest."""
    stmt = select(ProcessDefinition).where(ProcessDefinition.key == scope.process_key)
    if scope.version is not None:
        stmt = stmt.where(ProcessDefinition.version == scope.version)
    definition = session.scalars(stmt.order_by(ProcessDefinition.version.desc()).limit(1)).first()
    if definition is None:
        raise NotFound(f"no deployed process {scope.process_key!r}", code="process_not_found")
    return definition


def roll_up(session: Session) -> None:
    """Roll up instances finished since the last look (derived figures only), so the queries read narrow rows."""
    if metrics_rollup.refresh(session=session):
        session.commit()


def groups_of(session: Session) -> dict[str, set[str]]:
    """Each active user's groups (for the open tasks a user could take)."""
    return {u.username: u.group_names for u in session.scalars(select(User).where(User.active.is_(True)))}


def scope_dep(key: str, session: SessionDep, user: ApiUser, version: int | None = None, since: date | None = None,
              until: date | None = None, customer_tier: str = "", region: str = "", customer_code: str = "") -> Scope:
    """The filters of every metrics endpoint, checked against the caller's groups."""
    require_monitor(user)
    scope = make_scope(session, key, version, since, until,
                       {"customer_tier": customer_tier, "region": region, "customer_code": customer_code})
    roll_up(session)
    return scope


ScopeDep = Annotated[Scope, Depends(scope_dep)]


@router.get("/processes")
def list_processes(session: SessionDep, user: ApiUser) -> list[dict[str, Any]]:
    """Every deployed process with its versions and running/completed counts."""
    require_monitor(user)
    return metrics.processes(session=session)


@router.get("/{key}/kpis")
def kpis(session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """Started/completed per day, running, cycle-time p50/p90 (nearest rank) and histogram, SLA breaches,
    open incidents."""
    return metrics.kpis(session=session, scope=scope).as_dict()


@router.get("/{key}/heatmap")
def heatmap(session: SessionDep, scope: ScopeDep, mode: Mode = Mode.TOTAL) -> dict[str, Any]:
    """Per element: passed, waiting now, mean/p50/p90 seconds in the mode (waiting, working or total)."""
    figures = metrics_elements.heatmap(session=session, scope=scope, mode=mode)
    return {"mode": mode.value, "elements": [f.as_dict() for f in figures.values()]}


@router.get("/{key}/bottlenecks")
def bottlenecks(session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """Elements by share of the time spent in elements, and by queue length now."""
    by_time, by_queue = metrics_elements.bottlenecks(session=session, scope=scope)
    return {"by_time": [b.as_dict() for b in by_time], "by_queue": [b.as_dict() for b in by_queue]}


@router.get("/{key}/elements/{element_id}/waiting")
def waiting(session: SessionDep, scope: ScopeDep, element_id: str,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """The open tasks of one element, oldest first, with their instance and age (the drill-down)."""
    rows = metrics_elements.waiting_at(session=session, scope=scope, element_id=element_id, limit=limit)
    return [r.as_dict() for r in rows]


@router.get("/{key}/aging")
def aging(session: SessionDep, scope: ScopeDep, by: Literal["group", "user"] = "group") -> dict[str, Any]:
    """Open tasks per age bucket (upper bounds in seconds, the last open) per candidate group or assignee."""
    counts = metrics_work.aging(session=session, scope=scope, by=by)
    return {"by": by, "buckets": [*AGE_BUCKETS, None],
            "rows": [{"name": name, "counts": c} for name, c in counts.items()]}


@router.get("/{key}/workload")
def workload(session: SessionDep, scope: ScopeDep) -> list[dict[str, Any]]:
    """Per user: open tasks of their groups nobody claimed, tasks they claimed, tasks they completed in the range."""
    return [w.as_dict() for w in metrics_work.workload(session=session, scope=scope, groups_of=groups_of(session))]


@router.get("/{key}/branches")
def branches(session: SessionDep, scope: ScopeDep) -> list[dict[str, Any]]:
    """At each diverging gateway: passages and the count and share per outgoing flow."""
    definition = definition_for(session, scope)
    return [b.as_dict() for b in metrics_branches.branch_shares(session=session, scope=scope, definition=definition)]
