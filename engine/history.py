"""Typed, hash-chained history events: every state change of an instance or a definition."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.event import listens_for
from sqlalchemy.orm import ORMExecuteState, Session

from domain import clock
from engine import webhooks
from engine.models import ChainHead, Event

GENESIS = "0" * 64
_HEADS = "flowdesk_event_chain_heads"
_PENDING = "flowdesk_pending_events"
_UNANCHORED = "flowdesk_unanchored_chains"
_CHAIN_HEAD = select(Event.seq, Event.hash).where(Event.chain == bindparam("chain")).order_by(Event.seq.desc()).limit(1)
_INSERT_EVENT = insert(Event)


def _head_upsert(dialect_insert: Any) -> Any:
    stmt = dialect_insert(ChainHead)
    return stmt.on_conflict_do_update(index_elements=[ChainHead.chain],
                                      set_={"seq": stmt.excluded.seq, "hash": stmt.excluded.hash})


# The chain head is the anchor verification compares each chain to (engine/audit.py).
_UPSERT_HEAD = {"postgresql": _head_upsert(postgresql.insert), "sqlite": _head_upsert(sqlite.insert)}


class EventType(enum.StrEnum):
    """Each element completes with exactly one event: TASK_COMPLETED (people), SERVICE_CALLED (service tasks),
    ELEMENT_COMPLETED (everything else). PATH_EVENTS are those three."""

    DEFINITION_DEPLOYED = "definition_deployed"
    INSTANCE_STARTED = "instance_started"
    INSTANCE_COMPLETED = "instance_completed"
    INSTANCE_FAILED = "instance_failed"
    INSTANCE_CANCELLED = "instance_cancelled"
    INSTANCE_SUSPENDED = "instance_suspended"
    INSTANCE_RESUMED = "instance_resumed"
    INSTANCE_MIGRATED = "instance_migrated"
    ELEMENT_COMPLETED = "element_completed"
    TASK_READY = "task_ready"
    TASK_CLAIMED = "task_claimed"
    TASK_UNCLAIMED = "task_unclaimed"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    TASK_REASSIGNED = "task_reassigned"
    SERVICE_CALLED = "service_called"
    SERVICE_FAILED = "service_failed"
    JOB_SCHEDULED = "job_scheduled"
    TIMER_FIRED = "timer_fired"
    INCIDENT_RAISED = "incident_raised"
    INCIDENT_RETRIED = "incident_retried"
    INCIDENT_RESOLVED = "incident_resolved"
    MESSAGE_CORRELATED = "message_correlated"
    MESSAGE_SENT = "message_sent"
    HISTORY_ARCHIVED = "history_archived"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


PATH_EVENTS = frozenset({EventType.ELEMENT_COMPLETED, EventType.TASK_COMPLETED, EventType.SERVICE_CALLED})


def to_jsonable(data: Any) -> Any:
    """Task data made JSON-safe for the event log (Decimal -> str, dates -> ISO)."""
    return json.loads(json.dumps(data, default=_default))


def data_changes(before: dict[str, Any], entered: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What entered data changed: {field: {"before": old, "after": new}} for each field whose value differs."""
    changes = {}
    for key, value in entered.items():
        if key in before and before[key] == value:  # raw values: Decimal("100") equals a stored 100
            continue
        changes[key] = {"before": to_jsonable(before.get(key)), "after": to_jsonable(value)}
    return changes


def canonical(data: Any) -> str:
    """The canonical JSON text of event data (what the hash covers)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def content_hash(
    *, prev_hash: str, chain: str, seq: int, type_: str, actor: str, at: datetime, instance_id: int | None,
    element_id: str | None, task_guid: str | None, data_json: str,
) -> str:
    """The hash of an event's content chained to its predecessor's hash."""
    fields = (prev_hash, chain, str(seq), type_, actor, at.isoformat(timespec="microseconds"),
              str(instance_id), str(element_id), str(task_guid), data_json)
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def record(
    *,
    session: Session,
    type_: EventType,
    actor: str,
    instance_id: int | None = None,
    definition_id: int | None = None,
    chain: str | None = None,
    element_id: str | None = None,
    task_guid: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Append one event to its chain (the instance's, or the given one); returns its hash.

    The caller holds the instance lock, so the chain head read once per transaction stays valid.
    """
    chain = chain or f"instance:{instance_id}"
    heads: dict[str, tuple[int, str]] = session.info.setdefault(_HEADS, {})
    if chain not in heads:
        # Core, not ORM: no autoflush is needed, since nothing of this chain is buffered before its head is read.
        last = (
            session.connection()
            .execute(_CHAIN_HEAD, {"chain": chain})
            .first()
        )
        heads[chain] = (last[0], last[1]) if last else (0, GENESIS)
    seq, prev = heads[chain][0] + 1, heads[chain][1]
    at = clock.now()
    data_json = canonical(data or {})
    digest = content_hash(prev_hash=prev, chain=chain, seq=seq, type_=str(type_), actor=actor, at=at,
                          instance_id=instance_id, element_id=element_id, task_guid=task_guid, data_json=data_json)
    row = {"chain": chain, "seq": seq, "type": str(type_), "instance_id": instance_id,
           "definition_id": definition_id, "element_id": element_id, "task_guid": task_guid, "actor": actor,
           "at": at, "data": json.loads(data_json), "prev_hash": prev, "hash": digest}
    # Buffered and written in one executemany at the next flush: a step writes many events.
    session.info.setdefault(_PENDING, []).append(row)
    session.info.setdefault(_UNANCHORED, set()).add(chain)
    heads[chain] = (seq, digest)
    return digest


@listens_for(Session, "before_flush")
@listens_for(Session, "before_commit")
def write_pending_events(session: Session, *_: object) -> None:
    """Insert the buffered events; runs before every flush, statement and commit of the session."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if pending:
        session.connection().execute(_INSERT_EVENT, pending)
        webhooks.enqueue_deliveries(session, pending)


@listens_for(Session, "before_commit")
def anchor_chain_heads(session: Session, *_: object) -> None:
    """Store the head (seq, hash) of each chain appended to; once per transaction, just before it commits."""
    write_pending_events(session)
    chains: set[str] = session.info.pop(_UNANCHORED, set())
    if not chains:
        return
    heads: dict[str, tuple[int, str]] = session.info.get(_HEADS, {})
    connection = session.connection()
    rows = []
    for chain in sorted(chains):  # sorted: concurrent transactions lock head rows in one order
        if chain not in heads:  # forgotten by a rolled-back savepoint: the table has the truth
            last = connection.execute(_CHAIN_HEAD, {"chain": chain}).first()
            if last is None:
                continue
            heads[chain] = (last[0], last[1])
        rows.append({"chain": chain, "seq": heads[chain][0], "hash": heads[chain][1]})
    if rows:
        connection.execute(_UPSERT_HEAD[connection.dialect.name], rows)


@listens_for(Session, "do_orm_execute")
def _events_before_statements(state: ORMExecuteState) -> None:
    # A query or bulk statement must see the events recorded earlier in the transaction.
    if _PENDING in state.session.info:
        write_pending_events(state.session)


@listens_for(Session, "after_commit")
@listens_for(Session, "after_soft_rollback")
def _forget_heads(session: Session, *_: object) -> None:
    # The cached chain heads are only valid inside the transaction (and the instance lock) that read them.
    session.info.pop(_HEADS, None)
    session.info.pop(_PENDING, None)
    if not session.in_transaction():  # a rolled-back savepoint keeps the outer transaction's chains to anchor
        session.info.pop(_UNANCHORED, None)


def instance_history(*, session: Session, instance_id: int) -> list[Event]:
    """The events of one instance, oldest first; from its archive batch once retention moved them there."""
    write_pending_events(session)
    events = list(session.scalars(select(Event).where(Event.chain == f"instance:{instance_id}").order_by(Event.seq)))
    if events:
        return events
    from engine import retention  # retention builds on this module

    return retention.archived_events(session=session, instance_id=instance_id)

