"""IEEE 1849 (XES) event logs for process-mining tools: one trace per instance, streamed trace by trace.

Lifecycle mapping: a human task *starts* when it becomes ready, is *assigned* when claimed (or reassigned),
*completes* when done and is *ate_abort*-ed when cancelled; an asynchronous service task starts when its job is
scheduled; every other element (synchronous service tasks, script tasks, events) is one *complete* event.
So complete - start of a human task is Flowdesk's total task time (waiting + working).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from xml.sax.saxutils import quoteattr

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine import retention, store
from engine.history import EventType, write_pending_events
from engine.models import Event, ProcessDefinition, ProcessInstance

XES_NS = "http://www.xes-standard.org/"
EXTENSIONS = (("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
              ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
              ("Time", "time", "http://www.xes-standard.org/time.xesext"),
              ("Organizational", "org", "http://www.xes-standard.org/org.xesext"))
TRANSITIONS: dict[str, str] = {
    EventType.TASK_READY: "start",
    EventType.TASK_CLAIMED: "assign",
    EventType.TASK_REASSIGNED: "reassign",
    EventType.TASK_COMPLETED: "complete",
    EventType.TASK_CANCELLED: "ate_abort",
    EventType.JOB_SCHEDULED: "start",
    EventType.SERVICE_CALLED: "complete",
    EventType.ELEMENT_COMPLETED: "complete",
}
BATCH = 1000


@dataclass(frozen=True)
class XesFilter:
    """Which instances go into the log: one process key, optionally one version and a start-time range."""

    process_key: str
    version: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _attr(kind: str, key: str, value: str) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(value)}/>"


def header(process_key: str) -> str:
    """The log element's opening: extensions, globals, classifiers and the log's name."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             f'<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="{XES_NS}">\n']
    parts += [f"  <extension name={quoteattr(n)} prefix={quoteattr(p)} uri={quoteattr(u)}/>\n"
              for n, p, u in EXTENSIONS]
    parts.append('  <global scope="trace">' + _attr("string", "concept:name", "__INVALID__") + "</global>\n")
    parts.append('  <global scope="event">' + _attr("string", "concept:name", "__INVALID__")
                 + _attr("string", "lifecycle:transition", "complete")
                 + _attr("date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")
                 + _attr("string", "org:resource", "__INVALID__") + "</global>\n")
    parts.append('  <classifier name="Activity" keys="concept:name"/>\n')
    parts.append('  <classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>\n')
    parts.append("  " + _attr("string", "concept:name", process_key) + "\n")
    return "".join(parts)


def _instances(f: XesFilter) -> Select[ProcessInstance, int]:
    stmt = (select(ProcessInstance, ProcessDefinition.version)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessInstance.process_key == f.process_key).order_by(ProcessInstance.id))
    if f.version is not None:
        stmt = stmt.where(ProcessDefinition.version == f.version)
    if f.since is not None:
        stmt = stmt.where(ProcessInstance.started_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(ProcessInstance.started_at < f.until)
    return stmt


def _names(session: Session, definition_id: int, cache: dict[int, dict[str, str]]) -> dict[str, str]:
    if definition_id not in cache:
        info = store.definition_info(session, definition_id)
        names: dict[str, str] = {}
        for spec in (info.spec, *info.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None):
                    names[task_spec.bpmn_id] = task_spec.bpmn_name or task_spec.bpmn_id
        cache[definition_id] = names
    return cache[definition_id]


def transition(ev: Event) -> str | None:
    """The XES lifecycle transition of an event, or None when the event is not an activity's (gateways too)."""
    if ev.type == EventType.JOB_SCHEDULED and (ev.data or {}).get("kind") != "service":
        return None
    if ev.type == EventType.ELEMENT_COMPLETED and "Gateway" in str((ev.data or {}).get("type", "")):
        return None
    return TRANSITIONS.get(ev.type) if ev.element_id else None


def _event(ev: Event, names: dict[str, str]) -> str | None:
    lifecycle = transition(ev)
    if lifecycle is None:
        return None
    data = ev.data or {}
    name = names.get(ev.element_id or "") or str(data.get("name") or ev.element_id)
    resource = str(data.get("to") or ev.actor) if lifecycle in ("assign", "reassign") else ev.actor
    attrs = [_attr("string", "concept:name", name), _attr("string", "lifecycle:transition", lifecycle),
             _attr("date", "time:timestamp", _ts(ev.at)), _attr("string", "org:resource", resource),
             _attr("string", "element_id", ev.element_id or "")]
    return "    <event>" + "".join(attrs) + "</event>\n"


def _trace(instance: ProcessInstance, version: int, events: list[Any], names: dict[str, str]) -> str:
    head = ("  <trace>" + _attr("string", "concept:name", instance.business_key or str(instance.id))
            + _attr("int", "instance_id", str(instance.id))
            + _attr("int", "process_version", str(version))
            + _attr("string", "instance_status", str(instance.status)) + "\n")
    body = "".join(x for x in (_event(ev, names) for ev in events) if x)
    return head + body + "  </trace>\n"


def stream(*, session: Session, f: XesFilter) -> Iterator[str]:
    """The XES document in pieces, one trace at a time; archived history is read from its batch."""
    write_pending_events(session)
    yield header(f.process_key)
    names: dict[int, dict[str, str]] = {}
    batches: dict[int, dict[str, list[Event]]] = {}
    rows = session.execute(_instances(f).execution_options(yield_per=BATCH))
    for chunk in _chunks(rows, BATCH):
        ids = [instance.id for instance, _ in chunk]
        events = session.scalars(select(Event).where(Event.instance_id.in_(ids), Event.chain.like("instance:%"))
                                 .order_by(Event.instance_id, Event.seq))
        by_instance = {i: list(group) for i, group in groupby(events, key=lambda ev: ev.instance_id)}
        for instance, version in chunk:
            evs = by_instance.get(instance.id) or retention.archived_events(
                session=session, instance_id=instance.id, cache=batches)
            yield _trace(instance, version, evs, _names(session, instance.definition_id, names))
    yield "</log>\n"


def _chunks(rows: Any, size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
