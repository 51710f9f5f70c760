"""Retention: ended instances' history moves into hash-chained archive batches; the purge is visible and verifiable,
and tampering with an archived batch is found."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select, update
from sqlalchemy.orm import Session

from domain import clock
from engine import audit, deployment, history, retention, runtime, store
from engine.bundle import BundleFile
from engine.history import EventType
from engine.models import ArchivedInstance, ChainHead, Event, HistoryArchive, HumanTask, TaskStatus
from tests.conftest import MovableClock
from tests.engine.test_xes import _two_step_process

ROOT = Path(__file__).resolve().parents[2]
CLERK = runtime.Actor("clara", {"ops"})


@pytest.fixture
def moved() -> Iterator[MovableClock]:
    fake = MovableClock()
    clock.set_clock(lambda: fake.now)
    try:
        yield fake
    finally:
        clock.reset_clock()


def _deploy(session: Session) -> str:
    key = f"ret_{uuid.uuid4().hex[:8]}"
    deployment.deploy(session=session, files=[BundleFile(f"{key}.bpmn", _two_step_process(key).encode())],
                      actor="owner")
    return key


def _finish(session: Session, key: str) -> int:
    """An instance run to its end: both tasks completed."""
    instance = runtime.start_instance(session=session, process_key=key, actor=CLERK)
    for _ in range(2):
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == TaskStatus.OPEN)).one()
        runtime.complete_task(session=session, task_id=task.id, actor=CLERK, data={})
    return instance.id


def _hashes(session: Session, instance_id: int) -> list[str]:
    return list(session.scalars(select(Event.hash).where(Event.chain == f"instance:{instance_id}")
                                .order_by(Event.seq)))


@pytest.fixture
def aged(session: Session, moved: MovableClock) -> tuple[list[int], int]:
    """Two instances that ended 40 days ago, one that ended yesterday; (old ids, recent id). Only ours are due:
    the rest of the test database ended on the real clock, long after this moved one."""
    key = _deploy(session)
    moved.now -= timedelta(days=3650)  # before anything else in the shared test database
    old = [_finish(session, key), _finish(session, key)]
    moved.advance(days=39)
    recent = _finish(session, key)
    moved.advance(days=1)
    session.flush()
    return old, recent


def test_a_dry_run_lists_the_due_instances_and_changes_nothing(session: Session, aged: tuple[list[int], int]) -> None:
    old, recent = aged
    events = session.scalar(select(func.count()).select_from(Event))
    todo = retention.plan(session=session, days=30)
    assert todo.instance_ids == old
    assert todo.event_count == sum(len(_hashes(session, i)) for i in old)
    assert session.scalar(select(func.count()).select_from(Event)) == events
    assert session.scalar(select(func.count()).select_from(HistoryArchive)) == 0


def test_archiving_moves_the_events_into_a_batch_with_their_heads(session: Session,
                                                                   aged: tuple[list[int], int]) -> None:
    old, recent = aged
    before = {i: _hashes(session, i) for i in old}
    batch = retention.archive(session=session, actor="admin", days=30)
    assert batch is not None and batch.instance_count == 2
    assert batch.event_count == sum(len(h) for h in before.values())
    assert all(_hashes(session, i) == [] for i in old)
    assert _hashes(session, recent)  # ended yesterday: still hot
    assert session.scalar(select(func.count()).select_from(ChainHead).where(
        ChainHead.chain.in_([f"instance:{i}" for i in old]))) == 0
    assert batch.heads[f"instance:{old[0]}"][1] == before[old[0]][-1]
    assert [e.hash for e in retention.archived_events(session=session, instance_id=old[0])] == before[old[0]]


def test_the_purge_is_an_event_of_its_own_chain(session: Session, aged: tuple[list[int], int]) -> None:
    batch = retention.archive(session=session, actor="admin", days=30)
    assert batch is not None
    ev = session.scalars(select(Event).where(Event.chain == retention.RETENTION_CHAIN)
                         .order_by(Event.seq.desc()).limit(1)).one()
    assert (ev.type, ev.actor, ev.data["batch"], ev.data["hash"]) == (EventType.HISTORY_ARCHIVED, "admin",
                                                                       batch.seq, batch.hash)
    assert ev.data["retention_days"] == 30 and ev.data["instances"] == 2


def test_the_log_and_the_archive_both_verify_after_archiving(session: Session, aged: tuple[list[int], int]) -> None:
    retention.archive(session=session, actor="admin", days=30)
    assert audit.verify(session=session).intact
    archived = retention.verify_archive(session=session)
    assert archived.intact and archived.batches >= 1


def test_batches_are_chained(session: Session, aged: tuple[list[int], int]) -> None:
    first = retention.archive(session=session, actor="admin", days=30, limit=1)
    second = retention.archive(session=session, actor="admin", days=30, limit=1)
    assert first is not None and second is not None
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert retention.archive(session=session, actor="admin", days=30) is None
    assert retention.verify_archive(session=session).intact


def _batch(session: Session, aged: tuple[list[int], int]) -> HistoryArchive:
    batch = retention.archive(session=session, actor="admin", days=30)
    assert batch is not None
    return batch


def _rewrite(session: Session, batch: HistoryArchive, change: Callable[[list[dict]], None]) -> None:
    """Edit the archived events and re-seal the payload and the batch hash, as someone with table access could."""
    rows = list(retention.lines(batch))
    change(rows)
    payload = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode(), mtime=0)
    batch.payload, batch.payload_sha256 = payload, hashlib.sha256(payload).hexdigest()
    batch.hash = retention._recompute(batch)
    session.flush()


def test_an_edited_archived_event_is_found_at_its_seq(session: Session, aged: tuple[list[int], int]) -> None:
    batch = _batch(session, aged)
    chain = f"instance:{aged[0][1]}"

    def forge(rows: list[dict]) -> None:
        next(r for r in rows if r["chain"] == chain and r["seq"] == 3)["actor"] = "mallory"

    _rewrite(session, batch, forge)
    breaks = retention.verify_archive(session=session).breaks
    assert breaks == [retention.ArchiveBreak(batch.seq, "edited", chain, 3)]


def test_a_deleted_archived_event_is_found(session: Session, aged: tuple[list[int], int]) -> None:
    batch = _batch(session, aged)
    chain = f"instance:{aged[0][0]}"
    _rewrite(session, batch, lambda rows: rows.remove(next(r for r in rows if r["chain"] == chain and r["seq"] == 2)))
    assert retention.verify_archive(session=session).breaks == [retention.ArchiveBreak(batch.seq, "deleted", chain, 2)]


def test_changed_payload_bytes_are_found(session: Session, aged: tuple[list[int], int]) -> None:
    batch = _batch(session, aged)
    session.execute(update(HistoryArchive).where(HistoryArchive.id == batch.id)
                    .values(payload=gzip.compress(b'{"chain":"instance:0"}\n')))
    assert retention.verify_archive(session=session).breaks == [
        retention.ArchiveBreak(batch.seq, retention.ArchiveReason.PAYLOAD_EDITED)]


def test_an_edited_policy_is_found(session: Session, aged: tuple[list[int], int]) -> None:
    batch = _batch(session, aged)
    session.execute(update(HistoryArchive).where(HistoryArchive.id == batch.id)
                    .values(policy={"retention_days": 1, "ended_before": "2000-01-01T00:00:00"}))
    assert retention.verify_archive(session=session).breaks == [
        retention.ArchiveBreak(batch.seq, retention.ArchiveReason.BATCH_EDITED)]


def test_a_resealed_batch_is_found_by_the_retention_chain(session: Session, aged: tuple[list[int], int]) -> None:
    batch = _batch(session, aged)
    batch.created_by = "mallory"
    batch.hash = retention._recompute(batch)  # consistent on its own, but not what the purge recorded
    session.flush()
    assert retention.verify_archive(session=session).breaks == [
        retention.ArchiveBreak(batch.seq, retention.ArchiveReason.BATCH_EDITED)]


def test_a_deleted_batch_is_found(session: Session, aged: tuple[list[int], int]) -> None:
    batch = _batch(session, aged)
    session.execute(delete(ArchivedInstance).where(ArchivedInstance.archive_id == batch.id))
    session.execute(delete(HistoryArchive).where(HistoryArchive.id == batch.id))
    assert retention.ArchiveBreak(batch.seq, retention.ArchiveReason.BATCH_DELETED) in \
        retention.verify_archive(session=session).breaks


# The commands, as an operator runs them, on their own database.

@pytest.fixture
def cli_db(tmp_path: Path) -> tuple[str, Callable[..., subprocess.CompletedProcess[str]]]:
    from flowdesk.migrate import upgrade_database

    url = f"sqlite:///{tmp_path / 'retention.db'}"
    upgrade_database(url)
    env = {**os.environ, "FLOWDESK_DATABASE_URL": url}
    env.pop("FLOWDESK_BROKER_URL", None)
    env.pop("FLOWDESK_RETENTION_DAYS", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flowdesk.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    return url, run


def _ended_long_ago(url: str, n: int) -> None:
    """n instances finished on the command's own database, ended 90 days ago."""
    engine = create_engine(url)
    store.clear_cache()  # the parsed-definition cache is keyed by id: this database's ids are not the suite's
    try:
        with Session(engine) as session:
            key = _deploy(session)
            ids = [_finish(session, key) for _ in range(n)]
            session.commit()
            from engine.models import ProcessInstance

            session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids))
                            .values(ended_at=clock.now() - timedelta(days=90)))
            session.commit()
    finally:
        engine.dispose()
        store.clear_cache()


def test_the_cli_dry_run_then_archive_then_verify(cli_db) -> None:  # type: ignore[no-untyped-def]
    url, run = cli_db
    _ended_long_ago(url, 3)
    dry = run("audit", "archive", "--dry-run", "--days", "30")
    assert dry.returncode == 0 and "dry run: 3 instances" in dry.stdout, dry.stdout + dry.stderr
    done = run("audit", "archive", "--days", "30")
    assert done.returncode == 0 and "1 archive batches written: 1" in done.stdout, done.stdout + done.stderr
    verified = run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "1 archive batches, " in verified.stdout and "verified: intact" in verified.stdout


def test_the_cli_reports_a_tampered_batch_and_fails(cli_db) -> None:  # type: ignore[no-untyped-def]
    url, run = cli_db
    _ended_long_ago(url, 2)
    assert run("audit", "archive", "--days", "30").returncode == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(HistoryArchive).values(instance_count=1))
    engine.dispose()
    proc = run("audit", "verify")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "broken: archive batch 1: batch edited" in proc.stdout


def test_without_a_policy_the_cli_keeps_everything(cli_db) -> None:  # type: ignore[no-untyped-def]
    url, run = cli_db
    _ended_long_ago(url, 1)
    proc = run("audit", "archive")
    assert proc.returncode == 0 and "retention is off" in proc.stdout


def test_an_archived_instances_history_is_still_its_history(session: Session, aged: tuple[list[int], int]) -> None:
    before = _hashes(session, aged[0][0])
    retention.archive(session=session, actor="admin", days=30)
    assert [e.hash for e in history.instance_history(session=session, instance_id=aged[0][0])] == before


def test_monitoring_keeps_the_figures_of_archived_instances(session: Session, aged: tuple[list[int], int]) -> None:
    from engine.models import ElementPassage

    old, _ = aged
    assert retention.archive(session=session, actor="admin", days=30) is not None
    passages = session.scalars(select(ElementPassage.element_id).where(ElementPassage.instance_id.in_(old)))
    assert sorted(passages) == sorted(["Activity_Approve", "Activity_Review", "EndEvent_1", "StartEvent_1"] * 2), \
        "the roll-up was made before the events went to the archive"
