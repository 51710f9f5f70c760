"""Audit of the event log: every chain checked link by link and against its anchor; the filtered global log."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from engine.history import GENESIS, anchor_chain_heads, canonical, content_hash
from engine.metrics_facets import instances_with_facet_query
from engine.models import ChainHead, Event, ProcessInstance


class BreakReason(enum.StrEnum):
    """Why a chain does not verify."""

    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    ANCHOR_MISMATCH = "anchor mismatch"


@dataclass(frozen=True)
class Break:
    """The first broken link of one chain."""

    chain: str
    seq: int
    reason: BreakReason


@dataclass(frozen=True)
class Verification:
    """The result of verifying every chain."""

    chains: int
    events: int
    breaks: list[Break]

    @property
    def intact(self) -> bool:
        """Whether no chain is broken."""
        return not self.breaks


def _recomputed(ev: Event) -> str:
    return content_hash(prev_hash=ev.prev_hash, chain=ev.chain, seq=ev.seq, type_=ev.type, actor=ev.actor, at=ev.at,
                        instance_id=ev.instance_id, element_id=ev.element_id, task_guid=ev.task_guid,
                        data_json=canonical(ev.data))


def check_chain(chain: str, events: Iterable[Event], head: tuple[int, str] | None) -> Break | None:
    """The first break of one chain (events in seq order) compared with its anchor (last seq, hash), else None."""
    prev, expected, seen = GENESIS, 1, {GENESIS}
    for ev in events:
        if ev.seq > expected:
            return Break(chain, expected, BreakReason.DELETED)
        if ev.hash != _recomputed(ev):
            return Break(chain, ev.seq, BreakReason.EDITED)
        if ev.prev_hash != prev:
            reason = BreakReason.REORDERED if ev.prev_hash in seen else BreakReason.INSERTED
            return Break(chain, ev.seq, reason)
        seen.add(ev.hash)
        prev, expected = ev.hash, expected + 1
    last = expected - 1
    if head is None:
        return Break(chain, 1, BreakReason.ANCHOR_MISMATCH) if last else None
    head_seq, head_hash = head
    if last < head_seq:
        return Break(chain, last + 1, BreakReason.DELETED)
    if last > head_seq:
        return Break(chain, head_seq + 1, BreakReason.INSERTED)
    if prev != head_hash:
        return Break(chain, last, BreakReason.ANCHOR_MISMATCH)
    return None


def verify_chain(*, session: Session, chain: str) -> Break | None:
    """The first break of one chain, links and anchor both checked, else None."""
    anchor_chain_heads(session)  # what this transaction appended counts as committed
    head = session.get(ChainHead, chain)
    events = session.scalars(select(Event).where(Event.chain == chain).order_by(Event.seq))
    return check_chain(chain, events, (head.seq, head.hash) if head else None)


def verify(*, session: Session) -> Verification:
    """Every chain verified (the events streamed in chain order): counts and the first break of each broken chain."""
    anchor_chain_heads(session)
    heads = {h.chain: (h.seq, h.hash) for h in session.scalars(select(ChainHead))}
    breaks: list[Break] = []
    chains = events = 0
    seen: set[str] = set()
    rows: Iterator[Event] = session.scalars(
        select(Event).order_by(Event.chain, Event.seq).execution_options(yield_per=1000))
    for chain, group in groupby(rows, key=lambda ev: ev.chain):
        counted = _Counting(group)
        found = check_chain(chain, counted, heads.get(chain))
        for _ in counted:  # count the rest of a broken chain too
            pass
        chains, events, seen = chains + 1, events + counted.n, seen | {chain}
        if found:
            breaks.append(found)
    for chain in sorted(heads.keys() - seen):  # anchored, but every event gone
        chains += 1
        breaks.append(Break(chain, 1, BreakReason.DELETED))
    return Verification(chains, events, breaks)


def verify_all(*, session: Session) -> list[Break]:
    """The first break of each broken chain (empty when the whole log is intact)."""
    return verify(session=session).breaks


class _Counting:
    """An iterator over events that counts what it yields."""

    def __init__(self, events: Iterable[Event]) -> None:
        self._events = iter(events)
        self.n = 0

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> Event:
        ev = next(self._events)
        self.n += 1
        return ev


@dataclass(frozen=True)
class LogFilter:
    """What the audit log is narrowed to; empty fields do not filter."""

    actor: str = ""
    process_key: str = ""
    business_key: str = ""
    customer_code: str = ""  # every instance that touched the customer (the customer_code facet)
    event_type: str = ""
    since: datetime | None = None
    until: datetime | None = None


def log_query(f: LogFilter) -> Select:
    """Events matching the filter, newest first, each with its instance's process key and business key."""
    stmt = (select(Event, ProcessInstance.process_key, ProcessInstance.business_key)
            .outerjoin(ProcessInstance, ProcessInstance.id == Event.instance_id)
            .order_by(Event.at.desc(), Event.id.desc()))
    if f.actor.strip():
        stmt = stmt.where(Event.actor == f.actor.strip())
    if f.process_key.strip():
        key = f.process_key.strip()
        stmt = stmt.where(or_(ProcessInstance.process_key == key, Event.chain == f"definition:{key}"))
    if f.business_key.strip():
        stmt = stmt.where(ProcessInstance.business_key.contains(f.business_key.strip()))
    if f.customer_code.strip():
        stmt = stmt.where(Event.instance_id.in_(instances_with_facet_query("customer_code", f.customer_code.strip())))
    if f.event_type.strip():
        stmt = stmt.where(Event.type == f.event_type.strip())
    if f.since is not None:
        stmt = stmt.where(Event.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Event.at < f.until)
    return stmt


def log_page(*, session: Session, f: LogFilter, page: int, size: int
             ) -> tuple[list[tuple[Event, str | None, str | None]], bool]:
    """One page of the filtered log (1-based) and whether another page follows."""
    anchor_chain_heads(session)
    rows = [(r[0], r[1], r[2]) for r in session.execute(log_query(f).offset((page - 1) * size).limit(size + 1))]
    return rows[:size], len(rows) > size
