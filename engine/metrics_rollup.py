"""The roll-up of finished instances: each element completion with its durations, computed once from the history.

A finished (completed or cancelled) instance's history no longer changes, so its passages are computed once with
the window over its events and kept in element_passage; monitoring then reads narrow rows instead of windowing
over every event of a process. Running instances are still read live from the history and task rows.
Durations are the ones metrics_elements describes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain import clock
from engine.history import EventType
from engine.metrics_sql import seconds_between
from engine.models import ElementPassage, Event, HumanTask, InstanceStatus, PassageRollup, ProcessInstance

FINISHED = (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)
LIVE = tuple(s for s in InstanceStatus if s not in FINISHED)
PATH_TYPES = (EventType.ELEMENT_COMPLETED, EventType.SERVICE_CALLED, EventType.TASK_COMPLETED)
BATCH = 2000
_COLUMNS = ["instance_id", "definition_id", "element_id", "prev_element_id", "human", "completed_at",
            "total_seconds", "waiting_seconds", "working_seconds"]


def path_events(instance_ids: Any) -> Any:
    """Completion events of the instances with the time and element of the instance's previous completion."""
    return (select(Event.instance_id, Event.element_id, Event.type, Event.task_guid, Event.at,
                   func.lag(Event.at).over(partition_by=Event.instance_id, order_by=Event.seq).label("prev_at"),
                   func.lag(Event.element_id).over(partition_by=Event.instance_id, order_by=Event.seq)
                   .label("prev_element_id"))
            .where(Event.instance_id.in_(instance_ids), Event.type.in_(PATH_TYPES))).subquery("p")


def passages_select(session: Session, instance_ids: Sequence[int]) -> Any:
    """The element_passage rows of the instances, as one INSERT ... SELECT source."""
    p = path_events(instance_ids)
    human = p.c.type == EventType.TASK_COMPLETED
    claimed = func.coalesce(HumanTask.claimed_at, HumanTask.completed_at)
    auto_total = seconds_between(session, func.coalesce(p.c.prev_at, ProcessInstance.started_at), p.c.at)
    return (select(p.c.instance_id, ProcessInstance.definition_id, p.c.element_id, p.c.prev_element_id,
                   human, p.c.at,
                   case((human, seconds_between(session, HumanTask.created_at, HumanTask.completed_at)),
                        else_=auto_total),
                   case((human, seconds_between(session, HumanTask.created_at, claimed))),
                   case((human, seconds_between(session, claimed, HumanTask.completed_at))))
            .join(ProcessInstance, ProcessInstance.id == p.c.instance_id)
            .outerjoin(HumanTask, and_(human, HumanTask.instance_id == p.c.instance_id,
                                       HumanTask.task_guid == p.c.task_guid))
            .where(p.c.element_id.is_not(None)))


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def pending(session: Session) -> list[int]:
    """Finished instances whose passages are not rolled up yet."""
    return list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.status.in_(FINISHED),
        ~exists().where(PassageRollup.instance_id == ProcessInstance.id)).order_by(ProcessInstance.id)))


def refresh(*, session: Session) -> int:
    """Roll up every finished instance not rolled up yet; the number rolled up. Flushes, never commits.

    Two requests refreshing at once: the marker rows' primary key makes the second one skip that batch.
    """
    done = 0
    for batch in _batches(pending(session)):
        try:
            with session.begin_nested():
                now = clock.now()
                session.execute(insert(PassageRollup), [{"instance_id": i, "rolled_up_at": now} for i in batch])
                session.execute(insert(ElementPassage).from_select(_COLUMNS, passages_select(session, batch)))
            done += len(batch)
        except IntegrityError:
            continue  # rolled up by a concurrent refresh
    return done
