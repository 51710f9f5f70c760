"""The retention policy runs on a schedule: beat (Celery) or the embedded worker's sweep; off when unset."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from domain.db import transaction
from domain.settings import get_settings
from engine import retention
from engine.models import ProcessInstance
from tests.engine.test_xes import _two_step_process
from tests.flow import complete, deploy_xml, start


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch, db_engine: object) -> Iterator[None]:
    """FLOWDESK_RETENTION_DAYS at 7000 days: only instances made to end in the 1980s are due."""
    monkeypatch.setenv("FLOWDESK_RETENTION_DAYS", "7000")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FLOWDESK_RETENTION_DAYS")
    get_settings.cache_clear()


@pytest.fixture
def ended_long_ago(db_engine: object) -> int:
    key = f"sched_{uuid.uuid4().hex[:8]}"
    deploy_xml(f"{key}.bpmn", _two_step_process(key))
    iid = start(key)
    complete(iid, "Activity_Review")
    complete(iid, "Activity_Approve")
    with transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == iid)
                        .values(ended_at=datetime(1985, 1, 1, tzinfo=UTC)))
    return iid


def _archived(instance_id: int) -> bool:
    with transaction() as session:
        return retention.archive_of(session=session, instance_id=instance_id) is not None


def test_without_a_policy_the_run_keeps_everything(ended_long_ago: int) -> None:
    assert get_settings().retention_days is None
    assert retention.run_policy() == []
    assert not _archived(ended_long_ago)


def test_the_policy_run_archives_what_is_due(ended_long_ago: int, policy: None) -> None:
    assert retention.run_policy()
    assert _archived(ended_long_ago)


def test_the_embedded_worker_runs_the_policy_on_its_sweep(ended_long_ago: int, policy: None) -> None:
    from tasks.embedded import EmbeddedWorker

    worker = EmbeddedWorker()
    worker._sweep()
    assert _archived(ended_long_ago)
    assert worker.next_retention > time.monotonic() + 3000  # the next run is an hour away


def test_beat_schedules_the_retention_run() -> None:
    from tasks.celery_app import celery_app

    entry = celery_app.conf.beat_schedule["flowdesk-retention"]
    assert entry["task"] == "flowdesk.archive_history" and entry["task"] in celery_app.tasks
