"""Processes started by a timer: each tick starts one instance; a new version takes the schedule over."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from domain.db import transaction
from engine.models import ProcessDefinition, ProcessInstance
from tests.conftest import MovableClock
from tests.flow import deploy_xml, open_tasks, run_due_jobs
from tests.timer_samples import timer_start


def _instances(key: str) -> list[ProcessInstance]:
    with transaction() as session:
        return list(session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == key)
                                    .order_by(ProcessInstance.id)))


def test_a_cycle_starts_one_instance_per_tick_and_stops_after_its_count(world: None,
                                                                        moving_clock: MovableClock) -> None:
    key = f"hourly_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", timer_start(key, "R2/PT1H"))
    run_due_jobs()
    assert _instances(key) == []
    moving_clock.advance(hours=1, seconds=1)
    run_due_jobs()
    [first] = _instances(key)
    assert first.started_by == "timer" and open_tasks(first.id) == ["Activity_Check"]
    moving_clock.advance(hours=1)
    run_due_jobs()
    assert len(_instances(key)) == 2
    moving_clock.advance(hours=5)
    run_due_jobs()
    assert len(_instances(key)) == 2  # R2: two starts, then the schedule ends


def test_deploying_a_new_version_moves_the_schedule_to_it(world: None, moving_clock: MovableClock) -> None:
    key = f"daily_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", timer_start(key, "R/PT1H"))
    deploy_xml(f"{key}.bpmn", timer_start(key, "R/PT1H", task_name="Check stock"))
    moving_clock.advance(hours=1, seconds=1)
    run_due_jobs()
    [only] = _instances(key)
    with transaction() as session:
        definition = session.get(ProcessDefinition, only.definition_id)
        assert definition is not None and definition.version == 2


def test_a_date_start_timer_starts_once(world: None, moving_clock: MovableClock) -> None:
    key = f"once_{uuid.uuid4().hex[:6]}"
    when = (moving_clock.now.replace(microsecond=0)).isoformat().replace("+00:00", "Z")
    deploy_xml(f"{key}.bpmn", timer_start(key, when.replace("09:00:00", "10:00:00"), kind="timeDate"))
    moving_clock.advance(hours=1, seconds=1)
    run_due_jobs()
    moving_clock.advance(days=2)
    run_due_jobs()
    assert len(_instances(key)) == 1


def test_a_timer_started_process_cannot_be_started_by_hand(world: None) -> None:
    import pytest

    from domain.errors import InvalidInput
    from engine import runtime

    key = f"auto_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", timer_start(key, "R/PT1H"))
    with pytest.raises(InvalidInput) as info, transaction() as session:
        runtime.start_instance(session=session, process_key=key, actor=runtime.Actor("x", admin=True))
    assert info.value.code == "not_manually_startable"
    with transaction() as session:
        assert key not in {d.key for d in runtime.startable(session=session, actor=runtime.Actor("x", admin=True))}


def test_starts_missed_while_the_workers_were_down_are_skipped_not_made_up(world: None,
                                                                          moving_clock: MovableClock) -> None:
    key = f"nightly_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", timer_start(key, "R/PT1H"))
    moving_clock.advance(hours=1, seconds=1)
    run_due_jobs()
    assert len(_instances(key)) == 1
    moving_clock.advance(hours=5)  # four ticks missed
    run_due_jobs()
    run_due_jobs()
    assert len(_instances(key)) == 2, "one start for the missed ticks, then the schedule goes on"
    moving_clock.advance(hours=1)
    run_due_jobs()
    assert len(_instances(key)) == 3
