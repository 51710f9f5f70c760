"""What every monitoring query shares: the scope (process, version, time range, facets), portable SQL for durations
and days, and the percentile method.

Percentiles everywhere are **nearest-rank**: the p-th percentile of n sorted values x_1..x_n is x_k with
k = ceil(p * n / 100) (so p50 of 1..4 is 2, p90 of 1..10 is 9). It is always a value that occurred. SQLite computes
it with row_number(), or for the roll-up's durations by walking an index in order (merged_distributions); PostgreSQL
with percentile_disc(), which is the same definition (the first value whose cumulative share reaches p) and an
aggregate, so it needs no window over all rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Float, Select, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from engine.metrics_facets import instances_with_facet_query
from engine.models import ProcessDefinition, ProcessInstance

PERCENTILES = (50, 90)


@dataclass(frozen=True)
class Scope:
    """Which instances a figure covers: one process key, optionally one version, a time range [since, until) and
    facet values the instance must have had (e.g. (("customer_tier", "key"),))."""

    process_key: str
    version: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    facets: tuple[tuple[str, str], ...] = ()

    def in_range(self, column: Any) -> list[ColumnElement[bool]]:
        """Conditions putting a timestamp column inside the range."""
        conds: list[ColumnElement[bool]] = []
        if self.since is not None:
            conds.append(column >= self.since)
        if self.until is not None:
            conds.append(column < self.until)
        return conds

    def definitions(self) -> Select[int]:
        """The ids of the definitions in scope (every version of the key, or the chosen one)."""
        stmt = select(ProcessDefinition.id).where(ProcessDefinition.key == self.process_key)
        return stmt if self.version is None else stmt.where(ProcessDefinition.version == self.version)

    def instance_conditions(self, joined: bool = False) -> list[ColumnElement[bool]]:
        """Conditions on ProcessInstance for key, version and facets (no time).

        joined: the query is driven by another table (open tasks, tasks completed in the range) and joins the
        instance by its key; the process key is then compared through coalesce() so that SQLite, whose statistics
        cannot see that few tasks are open, does not start from every instance of the process instead.
        """
        key = func.coalesce(ProcessInstance.process_key, "") if joined else ProcessInstance.process_key
        conds: list[ColumnElement[bool]] = [key == self.process_key]
        if self.version is not None:
            conds.append(ProcessInstance.definition_id.in_(self.definitions()))
        return conds + self.facet_conditions(ProcessInstance.id)

    def facet_conditions(self, instance_id: Any) -> list[ColumnElement[bool]]:
        """Conditions putting an instance id column among the instances with the chosen facet values."""
        return [instance_id.in_(instances_with_facet_query(name, value)) for name, value in self.facets]


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """end - start in seconds, as a float, on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def day_of(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC calendar day of a timestamp as 'YYYY-MM-DD'."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)


def nearest_rank(p: int, n: Any) -> Any:
    """The 1-based rank of the p-th percentile among n values: ceil(p * n / 100) in integer arithmetic."""
    return (n * p + 99) // 100


@dataclass(frozen=True)
class Distribution:
    """Count, sum, mean and nearest-rank percentiles of a set of durations (seconds)."""

    count: int = 0
    total: float = 0.0
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "total": self.total, "mean": self.mean, "p50": self.p50, "p90": self.p90}


def _postgresql_distributions(sub: Any) -> Any:
    return (select(sub.c.grp, func.count(), func.sum(sub.c.dur), func.avg(sub.c.dur),
                   *[func.percentile_disc(p / 100).within_group(sub.c.dur) for p in PERCENTILES])
            .where(sub.c.dur.is_not(None)).group_by(sub.c.grp))


def distributions(session: Session, durations: Any) -> dict[Any, Distribution]:
    """Per group, the distribution of durations; `durations` selects labelled columns `grp` and `dur`."""
    sub = durations.subquery("d")
    if session.get_bind().dialect.name == "postgresql":
        return _collect(session.execute(_postgresql_distributions(sub)))
    ranked = select(
        sub.c.grp, sub.c.dur,
        func.row_number().over(partition_by=sub.c.grp, order_by=sub.c.dur).label("rn"),
        func.count().over(partition_by=sub.c.grp).label("n"),
    ).where(sub.c.dur.is_not(None)).subquery("r")
    stmt = select(
        ranked.c.grp, func.count(), func.sum(ranked.c.dur), func.avg(ranked.c.dur),
        *[func.min(case((ranked.c.rn == nearest_rank(p, ranked.c.n), ranked.c.dur))) for p in PERCENTILES],
    ).group_by(ranked.c.grp)
    return _collect(session.execute(stmt))


def kth_of_merged(k: int, stored_at: Callable[[int], float], stored_count: int, extra: list[float]) -> float:
    """The k-th smallest (1-based) of a sorted stored sequence read by 0-based position and a sorted short list.

    A binary search over how many of the list's values come first: O(log len(extra)) positions are read.
    """
    lo, hi = max(0, k - stored_count), min(k, len(extra))
    while lo < hi:  # the fewest list values j with extra[j] >= stored[k - j - 1]
        j = (lo + hi) // 2
        if extra[j] < stored_at(k - j - 1):
            lo = j + 1
        else:
            hi = j
    candidates = ([extra[lo - 1]] if lo else []) + ([stored_at(k - lo - 1)] if k - lo else [])
    return max(candidates)


def _at(window: list[float], first: int, position: int) -> float:
    return window[position - first]


def merged_distributions(session: Session, stored: Callable[[Any], Select[Any]], groups: Select[Any],
                         live: Any) -> dict[Any, Distribution]:
    """Per group, the distribution over stored durations and the few live ones, without sorting the stored ones.

    groups selects (grp, count, sum) of the stored durations; stored(grp) selects that group's non-null stored
    durations as `dur`, which an index returns in order; live selects (grp, dur) and is read once. Each nearest-rank
    value is then one `ORDER BY dur LIMIT m + 1 OFFSET k - 1 - m` walk along the index (m live values in the group)
    instead of a window sort of every row.
    """
    extra: dict[Any, list[float]] = {}
    for grp, dur in session.execute(live):
        if dur is not None:
            extra.setdefault(grp, []).append(float(dur))
    counts = {grp: (int(n), float(total or 0)) for grp, n, total in session.execute(groups)}
    result = {}
    for grp in counts.keys() | extra.keys():
        values = sorted(extra.get(grp, []))
        stored_count, stored_total = counts.get(grp, (0, 0.0))
        n, total = stored_count + len(values), stored_total + sum(values)
        ordered = stored(grp).subquery("s")
        percentiles = []
        for p in PERCENTILES:
            # The k-th of the merge is among stored positions k - 1 - len(values) .. k - 1: one walk reads them.
            k = nearest_rank(p, n)
            first = max(0, k - 1 - len(values))
            window = [float(v) for v in session.scalars(
                select(ordered.c.dur).order_by(ordered.c.dur).limit(k - first).offset(first))] if stored_count else []
            percentiles.append(kth_of_merged(k, partial(_at, window, first), stored_count, values))
        p50, p90 = percentiles
        result[grp] = Distribution(count=n, total=total, mean=total / n, p50=p50, p90=p90)
    return result


def _collect(rows: Any) -> dict[Any, Distribution]:
    return {grp: Distribution(count=int(n), total=float(total or 0), mean=_f(mean), p50=_f(p50), p90=_f(p90))
            for grp, n, total, mean, p50, p90 in rows}


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def one_group(value: str = "all") -> ColumnElement[str]:
    """A constant group label, for a distribution over everything."""
    return literal(value)
