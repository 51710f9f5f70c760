"""Retention: the history of instances that ended long ago moves into archive batches. Nothing vanishes silently:
each batch holds the events (gzipped JSON lines) with every chain's head, its own SHA-256 and the previous batch's,
and the purge is itself an event of the `retention` chain, so a removed, edited or forged batch is found."""

from __future__ import annotations

import enum
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import InvalidInput
from engine import history, metrics_rollup
from engine.audit import Break, check_chain
from engine.history import GENESIS, EventType, canonical
from engine.models import ArchivedInstance, ChainHead, Event, HistoryArchive, InstanceStatus, ProcessInstance

RETENTION_CHAIN = "retention"
BATCH_INSTANCES = 500
ENDED = (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)
_FIELDS = ("chain", "seq", "type", "instance_id", "definition_id", "element_id", "task_guid", "actor", "data",
           "prev_hash", "hash")


@dataclass(frozen=True)
class Plan:
    """What an archive run would move: instances ended before the cutoff whose history is still hot."""

    cutoff: datetime
    days: int
    instance_ids: list[int]
    event_count: int


def cutoff_for(days: int) -> datetime:
    """The moment before which an instance must have ended to be archived."""
    if days < 0:
        raise InvalidInput("retention days must be zero or more", code="bad_retention_days")
    return clock.now() - timedelta(days=days)


def plan(*, session: Session, days: int, limit: int = BATCH_INSTANCES) -> Plan:
    """The next batch (at most `limit` instances, oldest ended first) under a policy of `days`."""
    history.write_pending_events(session)
    cutoff = cutoff_for(days)
    hot = exists().where(Event.instance_id == ProcessInstance.id)
    done = exists().where(ArchivedInstance.instance_id == ProcessInstance.id)
    ids = list(session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.status.in_(ENDED), ProcessInstance.ended_at < cutoff, hot, ~done)
        .order_by(ProcessInstance.ended_at, ProcessInstance.id).limit(limit)))
    chains = [f"instance:{i}" for i in ids]
    count = session.scalar(select(func.count()).select_from(Event).where(Event.chain.in_(chains))) if ids else 0
    return Plan(cutoff=cutoff, days=days, instance_ids=ids, event_count=count or 0)


def _line(ev: Event) -> str:
    row = {name: getattr(ev, name) for name in _FIELDS}
    row["at"] = ev.at.isoformat(timespec="microseconds")
    return canonical(row)


def batch_hash(*, prev_hash: str, seq: int, created_by: str, created_at: datetime, policy: dict[str, Any],
               instance_count: int, event_count: int, heads: dict[str, Any], payload_sha256: str) -> str:
    """The SHA-256 of a batch's content chained to the previous batch's hash."""
    fields = (prev_hash, str(seq), created_by, created_at.isoformat(timespec="microseconds"), canonical(policy),
              str(instance_count), str(event_count), canonical(heads), payload_sha256)
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def _recompute(batch: HistoryArchive) -> str:
    return batch_hash(prev_hash=batch.prev_hash, seq=batch.seq, created_by=batch.created_by,
                      created_at=batch.created_at, policy=batch.policy, instance_count=batch.instance_count,
                      event_count=batch.event_count, heads=batch.heads, payload_sha256=batch.payload_sha256)


def archive(*, session: Session, actor: str, days: int, limit: int = BATCH_INSTANCES) -> HistoryArchive | None:
    """Move the next batch of ended instances' history into the archive; None when nothing is due."""
    history.anchor_chain_heads(session)  # heads of chains appended to in this transaction are part of the truth
    todo = plan(session=session, days=days, limit=limit)
    if not todo.instance_ids:
        return None
    # Monitoring reads finished instances from their roll-up: make it before the events it is computed from go.
    metrics_rollup.refresh(session=session)
    chains = [f"instance:{i}" for i in todo.instance_ids]
    events = list(session.scalars(select(Event).where(Event.chain.in_(chains)).order_by(Event.chain, Event.seq)))
    stored = {h.chain: [h.seq, h.hash] for h in session.scalars(select(ChainHead).where(ChainHead.chain.in_(chains)))}
    heads = {chain: stored.get(chain) for chain, _ in groupby(events, key=lambda ev: ev.chain)}
    payload = gzip.compress("".join(_line(ev) + "\n" for ev in events).encode(), mtime=0)
    last = session.scalars(select(HistoryArchive).order_by(HistoryArchive.seq.desc()).limit(1)).first()
    batch = HistoryArchive(
        seq=(last.seq + 1) if last else 1, created_by=actor, created_at=clock.now(),
        policy={"retention_days": days, "ended_before": todo.cutoff.isoformat(timespec="microseconds")},
        instance_count=len(todo.instance_ids), event_count=len(events), heads=heads, payload=payload,
        payload_sha256=hashlib.sha256(payload).hexdigest(), prev_hash=last.hash if last else GENESIS, hash="")
    batch.hash = _recompute(batch)
    session.add(batch)
    session.flush()
    session.add_all([ArchivedInstance(instance_id=i, archive_id=batch.id) for i in todo.instance_ids])
    session.execute(delete(Event).where(Event.chain.in_(chains)))
    session.execute(delete(ChainHead).where(ChainHead.chain.in_(chains)))
    history.record(session=session, type_=EventType.HISTORY_ARCHIVED, actor=actor, chain=RETENTION_CHAIN,
                   data={"batch": batch.seq, "hash": batch.hash, "instances": batch.instance_count,
                         "events": batch.event_count, **batch.policy})
    session.flush()
    return batch


def archive_due(*, session_factory: Any, actor: str, days: int) -> list[int]:
    """Archive batch after batch, one transaction each, until nothing is due; the batch numbers written."""
    written: list[int] = []
    while True:
        with session_factory() as session:
            batch = archive(session=session, actor=actor, days=days)
            if batch is None:
                return written
            session.commit()
            written.append(batch.seq)


def lines(batch: HistoryArchive) -> Iterator[dict[str, Any]]:
    """The archived events of a batch as stored (dicts, chain and seq order)."""
    for raw in gzip.decompress(batch.payload).decode().splitlines():
        if raw:
            yield json.loads(raw)


def as_event(row: dict[str, Any]) -> Event:
    """An archived event as a (transient, never added) Event for timelines, exports and verification."""
    return Event(**{name: row.get(name) for name in _FIELDS}, at=datetime.fromisoformat(row["at"]))


def archived_events(*, session: Session, instance_id: int,
                    cache: dict[int, dict[str, list[Event]]] | None = None) -> list[Event]:
    """The archived history of one instance, oldest first (empty when its history is still hot).

    A caller reading many instances passes a cache: it keeps the last batch read, unpacked by chain.
    """
    link = session.get(ArchivedInstance, instance_id)
    if link is None:
        return []
    cache = {} if cache is None else cache
    if link.archive_id not in cache:
        batch = session.get(HistoryArchive, link.archive_id)
        assert batch is not None
        cache.clear()  # one batch at a time: memory stays bounded by the batch size
        cache[link.archive_id] = {chain: list(group) for chain, group in
                                  groupby((as_event(row) for row in lines(batch)), key=lambda ev: ev.chain)}
    return cache[link.archive_id].get(f"instance:{instance_id}", [])


def archive_of(*, session: Session, instance_id: int) -> HistoryArchive | None:
    """The batch holding the instance's history, if it was archived."""
    link = session.get(ArchivedInstance, instance_id)
    return session.get(HistoryArchive, link.archive_id) if link else None


def archived_instances(*, session: Session, process_key: str = "", business_key: str = "", limit: int = 20
                       ) -> list[tuple[ProcessInstance, int]]:
    """Instances whose history is archived, matching a process key and/or part of a business key, with their batch."""
    stmt = (select(ProcessInstance, HistoryArchive.seq)
            .join(ArchivedInstance, ArchivedInstance.instance_id == ProcessInstance.id)
            .join(HistoryArchive, HistoryArchive.id == ArchivedInstance.archive_id)
            .order_by(ProcessInstance.id.desc()).limit(limit))
    if process_key.strip():
        stmt = stmt.where(ProcessInstance.process_key == process_key.strip())
    if business_key.strip():
        stmt = stmt.where(ProcessInstance.business_key.contains(business_key.strip()))
    return [(instance, seq) for instance, seq in session.execute(stmt)]


def list_batches(*, session: Session) -> list[HistoryArchive]:
    """Every batch, newest first (without loading the payloads)."""
    return list(session.scalars(select(HistoryArchive).order_by(HistoryArchive.seq.desc())))


class ArchiveReason(enum.StrEnum):
    """Why an archive batch does not verify (besides a broken chain inside it)."""

    PAYLOAD_EDITED = "payload edited"
    BATCH_EDITED = "batch edited"
    BATCH_DELETED = "batch deleted"
    BATCH_INSERTED = "batch inserted"
    CHAIN_MISSING = "archived chain missing"


@dataclass(frozen=True)
class ArchiveBreak:
    """The first problem found in one batch (seq), or in one chain archived in it."""

    batch: int
    reason: str
    chain: str | None = None
    seq: int | None = None


@dataclass
class ArchiveVerification:
    """Every batch checked: counts and breaks."""

    batches: int = 0
    events: int = 0
    breaks: list[ArchiveBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether every batch verifies."""
        return not self.breaks


def _check_chains(batch: HistoryArchive) -> ArchiveBreak | None:
    rows = list(lines(batch))
    seen: set[str] = set()
    for chain, group in groupby((as_event(r) for r in rows), key=lambda ev: ev.chain):
        seen.add(chain)
        head = batch.heads.get(chain)
        found: Break | None = check_chain(chain, group, (head[0], head[1]) if head else None)
        if found:
            return ArchiveBreak(batch.seq, str(found.reason), chain, found.seq)
    missing = sorted(set(batch.heads) - seen)
    if missing or len(rows) != batch.event_count:
        return ArchiveBreak(batch.seq, ArchiveReason.CHAIN_MISSING, missing[0] if missing else None)
    return None


def _check_batch(batch: HistoryArchive, prev: str, expected: int) -> ArchiveBreak | None:
    if batch.seq != expected:
        return ArchiveBreak(expected, ArchiveReason.BATCH_DELETED if batch.seq > expected else
                            ArchiveReason.BATCH_INSERTED)
    if hashlib.sha256(batch.payload).hexdigest() != batch.payload_sha256:
        return ArchiveBreak(batch.seq, ArchiveReason.PAYLOAD_EDITED)
    if batch.hash != _recompute(batch):
        return ArchiveBreak(batch.seq, ArchiveReason.BATCH_EDITED)
    if batch.prev_hash != prev:
        return ArchiveBreak(batch.seq, ArchiveReason.BATCH_INSERTED)
    return _check_chains(batch)


def verify_archive(*, session: Session) -> ArchiveVerification:
    """Every batch re-computed (payload, own hash, link to the previous batch, each archived chain against its head)
    and matched with the retention chain's record of it."""
    history.anchor_chain_heads(session)
    result = ArchiveVerification()
    recorded = {int(ev.data["batch"]): str(ev.data["hash"]) for ev in session.scalars(
        select(Event).where(Event.chain == RETENTION_CHAIN, Event.type == EventType.HISTORY_ARCHIVED))}
    prev, expected, found = GENESIS, 1, set()
    for batch in session.scalars(select(HistoryArchive).order_by(HistoryArchive.seq)):
        result.batches, result.events = result.batches + 1, result.events + batch.event_count
        found.add(batch.seq)
        problem = _check_batch(batch, prev, expected)
        if problem is None and recorded.get(batch.seq) != batch.hash:
            problem = ArchiveBreak(batch.seq, ArchiveReason.BATCH_INSERTED if batch.seq not in recorded
                                   else ArchiveReason.BATCH_EDITED)
        if problem:
            result.breaks.append(problem)
        prev, expected = batch.hash, batch.seq + 1
    for seq in sorted(set(recorded) - found):  # recorded by the retention chain, but gone
        result.breaks.append(ArchiveBreak(seq, ArchiveReason.BATCH_DELETED))
    return result


def describe(b: ArchiveBreak) -> str:
    """One line for the CLI and logs."""
    where = f" chain {b.chain}" + (f" at seq {b.seq}" if b.seq else "") if b.chain else ""
    return f"archive batch {b.batch}{where}: {b.reason}"


def run_policy(*, actor: str = "retention") -> list[int]:
    """The scheduled run: archive what FLOWDESK_RETENTION_DAYS makes due (nothing when unset); batch numbers."""
    from domain.db import get_sessionmaker
    from domain.settings import get_settings

    days = get_settings().retention_days
    if days is None:
        return []
    return archive_due(session_factory=get_sessionmaker(), actor=actor, days=days)
