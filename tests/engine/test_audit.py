"""Audit verification: an edit, a deletion (middle or last) or a forged insertion in the event table is detected,
by verify_all and by `flowdesk audit verify`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import audit, history
from engine.audit import Break, BreakReason
from engine.history import EventType, canonical, content_hash
from engine.models import ChainHead, Event

ROOT = Path(__file__).resolve().parents[2]


def _chain(session: Session, name: str, n: int = 4) -> None:
    for i in range(n):
        history.record(session=session, type_=EventType.TASK_CLAIMED, actor=f"user{i}", chain=name,
                       data={"i": i, "amount": "12.30"})
    history.anchor_chain_heads(session)  # what a commit does first


def _breaks_of(session: Session, chain: str) -> list[Break]:
    return [b for b in audit.verify_all(session=session) if b.chain == chain]


def _forge_next(session: Session, chain: str) -> None:
    """Append a row with a correctly computed hash, as someone with write access to the table could."""
    last = session.scalars(select(Event).where(Event.chain == chain).order_by(Event.seq.desc()).limit(1)).one()
    at, data = last.at + timedelta(seconds=1), {"i": 99, "amount": "0.01"}
    digest = content_hash(prev_hash=last.hash, chain=chain, seq=last.seq + 1, type_=last.type, actor="mallory",
                          at=at, instance_id=None, element_id=None, task_guid=None, data_json=canonical(data))
    session.execute(insert(Event).values(chain=chain, seq=last.seq + 1, type=last.type, actor="mallory", at=at,
                                         data=data, prev_hash=last.hash, hash=digest))


def _edit(session: Session, chain: str) -> None:
    session.execute(update(Event).where(Event.chain == chain, Event.seq == 3).values(data={"i": 2, "amount": "1.00"}))


def _delete_middle(session: Session, chain: str) -> None:
    session.execute(delete(Event).where(Event.chain == chain, Event.seq == 2))


def _delete_last(session: Session, chain: str) -> None:
    session.execute(delete(Event).where(Event.chain == chain, Event.seq == 4))


TAMPERS: dict[str, tuple[Callable[[Session, str], None], int, BreakReason]] = {
    "edit": (_edit, 3, BreakReason.EDITED),
    "delete_middle": (_delete_middle, 2, BreakReason.DELETED),
    "delete_last": (_delete_last, 4, BreakReason.DELETED),
    "insert_forged": (_forge_next, 5, BreakReason.INSERTED),
}


def test_an_untouched_chain_verifies_and_its_head_is_anchored(session: Session) -> None:
    _chain(session, "audit:clean")
    head = session.get(ChainHead, "audit:clean")
    last = session.scalars(select(Event.hash).where(Event.chain == "audit:clean", Event.seq == 4)).one()
    assert head is not None and (head.seq, head.hash) == (4, last)
    assert audit.verify_chain(session=session, chain="audit:clean") is None
    assert _breaks_of(session, "audit:clean") == []


def test_the_head_follows_the_chain_across_transactions(session: Session) -> None:
    _chain(session, "audit:grow", 2)
    session.info.pop("flowdesk_event_chain_heads", None)  # a new transaction reads the head again
    _chain(session, "audit:grow", 3)
    head = session.get(ChainHead, "audit:grow")
    assert head is not None and head.seq == 5
    assert audit.verify_chain(session=session, chain="audit:grow") is None


def test_a_commit_anchors_the_chains_it_appended_to(committing_sessionmaker: sessionmaker[Session]) -> None:
    chain = f"audit:commit:{uuid.uuid4().hex[:8]}"
    with committing_sessionmaker() as session:
        for i in range(3):
            history.record(session=session, type_=EventType.TASK_CLAIMED, actor="a", chain=chain, data={"i": i})
        session.commit()
    with committing_sessionmaker() as session:
        head = session.get(ChainHead, chain)
        assert head is not None and head.seq == 3
        assert audit.verify_chain(session=session, chain=chain) is None


@pytest.mark.parametrize("tamper", TAMPERS)
def test_tampering_is_found_at_the_first_broken_event(session: Session, tamper: str) -> None:
    change, seq, reason = TAMPERS[tamper]
    chain = f"audit:{tamper}"
    _chain(session, chain)
    change(session, chain)
    assert _breaks_of(session, chain) == [Break(chain, seq, reason)]
    assert audit.verify_chain(session=session, chain=chain) == Break(chain, seq, reason)


def test_deleting_the_last_event_escapes_the_links_but_not_the_anchor(session: Session) -> None:
    _chain(session, "audit:tail")
    _delete_last(session, "audit:tail")
    assert audit.verify_chain(session=session, chain="audit:tail") == Break("audit:tail", 4, BreakReason.DELETED)


def test_a_chain_whose_events_are_all_deleted_is_reported(session: Session) -> None:
    _chain(session, "audit:gone", 2)
    session.execute(delete(Event).where(Event.chain == "audit:gone"))
    assert _breaks_of(session, "audit:gone") == [Break("audit:gone", 1, BreakReason.DELETED)]


def test_a_rewritten_head_is_an_anchor_mismatch(session: Session) -> None:
    _chain(session, "audit:head")
    session.execute(update(ChainHead).where(ChainHead.chain == "audit:head").values(hash="f" * 64))
    assert _breaks_of(session, "audit:head") == [Break("audit:head", 4, BreakReason.ANCHOR_MISMATCH)]


def test_swapped_links_are_reordered(session: Session) -> None:
    _chain(session, "audit:swap")
    rows = {e.seq: e for e in session.scalars(select(Event).where(Event.chain == "audit:swap"))}
    # Event 3 made to point at event 1: recomputed so its own hash is consistent.
    e3 = rows[3]
    forged = content_hash(prev_hash=rows[1].hash, chain=e3.chain, seq=3, type_=e3.type, actor=e3.actor, at=e3.at,
                          instance_id=None, element_id=None, task_guid=None, data_json=canonical(e3.data))
    session.execute(update(Event).where(Event.id == e3.id).values(prev_hash=rows[1].hash, hash=forged))
    assert _breaks_of(session, "audit:swap") == [Break("audit:swap", 3, BreakReason.REORDERED)]


def test_verify_counts_chains_and_events(session: Session) -> None:
    before = audit.verify(session=session)
    _chain(session, "audit:count", 3)
    after = audit.verify(session=session)
    assert (after.chains - before.chains, after.events - before.events) == (1, 3)


# The command, as an operator runs it, on its own database.

@pytest.fixture
def cli_db(tmp_path: Path) -> tuple[str, Callable[..., subprocess.CompletedProcess[str]]]:
    from flowdesk.migrate import upgrade_database

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade_database(url)
    env = {**os.environ, "FLOWDESK_DATABASE_URL": url}
    env.pop("FLOWDESK_BROKER_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flowdesk.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    return url, run


def _on(url: str, work: Callable[[Session], None]) -> None:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            work(session)
            session.commit()
    finally:
        engine.dispose()


def test_the_cli_reports_an_intact_log(cli_db) -> None:  # type: ignore[no-untyped-def]
    url, run = cli_db
    _on(url, lambda s: (_chain(s, "instance:1"), _chain(s, "definition:demo", 2)))
    proc = run("audit", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 chains, 6 events verified: intact" in proc.stdout


@pytest.mark.parametrize("tamper", TAMPERS)
def test_the_cli_reports_tampering_and_fails(cli_db, tamper: str) -> None:  # type: ignore[no-untyped-def]
    url, run = cli_db
    change, seq, reason = TAMPERS[tamper]
    _on(url, lambda s: (_chain(s, "instance:1"), _chain(s, "instance:2")))
    _on(url, lambda s: change(s, "instance:2"))
    proc = run("audit", "verify")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"broken: instance:2 at seq {seq} ({reason})" in proc.stdout
    assert "instance:1 " not in proc.stdout
