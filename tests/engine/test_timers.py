"""Timers fire at their due time on the injectable clock: intermediate, interrupting and non-interrupting boundary."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.conftest import MovableClock
from tests.flow import complete, deploy_xml, instance_status, jobs_of, open_tasks, run_due_jobs, start, task_status
from tests.timer_samples import boundary_timer, intermediate_timer


def _key(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


@pytest.fixture
def timer_key(world: None, moving_clock: MovableClock) -> str:
    key = _key("wait")
    deploy_xml(f"{key}.bpmn", intermediate_timer(key, "PT1H"))
    return key


def test_an_intermediate_timer_waits_until_due_then_moves_on(timer_key: str, moving_clock: MovableClock) -> None:
    iid = start(timer_key)
    complete(iid, "Activity_First")
    [job] = jobs_of(iid, "timer")
    assert job.due_at == moving_clock.now + timedelta(hours=1)  # the clock stands still while the step runs
    moving_clock.advance(minutes=59)
    run_due_jobs()
    assert open_tasks(iid) == []
    moving_clock.advance(minutes=1, seconds=1)
    assert "done" in run_due_jobs()
    assert open_tasks(iid) == ["Activity_Second"]


def test_a_timer_job_delivered_early_is_deferred_not_lost(timer_key: str, moving_clock: MovableClock) -> None:
    from engine import jobs

    iid = start(timer_key)
    complete(iid, "Activity_First")
    [job] = jobs_of(iid, "timer")
    moving_clock.now = job.due_at  # exactly at due: the library fires only strictly after it
    assert jobs.run_job(job.id) == "deferred"
    assert open_tasks(iid) == []
    moving_clock.advance(seconds=1)
    assert jobs.run_job(job.id) == "done"
    assert open_tasks(iid) == ["Activity_Second"]


def test_an_interrupting_boundary_timer_cancels_the_task_and_escalates(world: None,
                                                                       moving_clock: MovableClock) -> None:
    key = _key("late")
    deploy_xml(f"{key}.bpmn", boundary_timer(key, interrupting=True))
    iid = start(key)
    assert open_tasks(iid) == ["Activity_Approve"]
    moving_clock.advance(hours=2, seconds=1)
    run_due_jobs()
    assert open_tasks(iid) == ["Activity_Escalate"]
    assert task_status(iid, "Activity_Approve") == "cancelled"


def test_a_non_interrupting_boundary_timer_adds_a_task_and_keeps_the_first(world: None,
                                                                           moving_clock: MovableClock) -> None:
    key = _key("nudge")
    deploy_xml(f"{key}.bpmn", boundary_timer(key, interrupting=False))
    iid = start(key)
    moving_clock.advance(hours=2, seconds=1)
    run_due_jobs()
    assert open_tasks(iid) == ["Activity_Approve", "Activity_Escalate"]
    complete(iid, "Activity_Approve")
    complete(iid, "Activity_Escalate")
    assert instance_status(iid) == "completed"


def test_a_boundary_timer_whose_task_completed_in_time_never_fires(world: None, moving_clock: MovableClock) -> None:
    key = _key("ontime")
    deploy_xml(f"{key}.bpmn", boundary_timer(key, interrupting=True))
    iid = start(key)
    complete(iid, "Activity_Approve")
    assert instance_status(iid) == "completed"
    moving_clock.advance(hours=3)
    run_due_jobs()
    assert instance_status(iid) == "completed" and open_tasks(iid) == []


def test_a_timer_due_while_suspended_fires_after_resume(timer_key: str, moving_clock: MovableClock) -> None:
    from domain.db import transaction
    from engine import operations
    from tests.flow import OPS

    iid = start(timer_key)
    complete(iid, "Activity_First")
    with transaction() as session:
        operations.suspend(session=session, instance_id=iid, actor=OPS, reason="waiting for the customer")
    moving_clock.advance(hours=2)
    assert run_due_jobs() == ["deferred"]
    assert open_tasks(iid) == []
    with transaction() as session:
        operations.resume(session=session, instance_id=iid, actor=OPS)
    assert run_due_jobs() == ["done"]
    assert open_tasks(iid) == ["Activity_Second"]


def test_an_event_based_gateway_takes_the_timer_branch_when_no_message_comes(world: None,
                                                                             moving_clock: MovableClock) -> None:
    from tests.timer_samples import message_or_timeout

    key = _key("paid_or_late")
    deploy_xml(f"{key}.bpmn", message_or_timeout(key))
    iid = start(key)
    [job] = jobs_of(iid, "timer")
    assert job.due_at == moving_clock.now + timedelta(hours=1)
    moving_clock.advance(hours=1, seconds=1)
    run_due_jobs()
    assert open_tasks(iid) == ["Activity_Chase"]


def test_an_event_based_gateway_takes_the_message_branch_and_its_timer_never_fires(
        world: None, moving_clock: MovableClock) -> None:
    from domain.db import transaction
    from engine import messages
    from tests.flow import OPS
    from tests.timer_samples import message_or_timeout

    key = _key("paid_in_time")
    deploy_xml(f"{key}.bpmn", message_or_timeout(key))
    iid = start(key)
    with transaction() as session:
        messages.deliver(session=session, name=f"paid_{key}", correlation={}, payload={"amount": 10},
                         message_id=None, actor=OPS)
    assert open_tasks(iid) == ["Activity_Ship"]
    moving_clock.advance(hours=2)
    run_due_jobs()
    assert open_tasks(iid) == ["Activity_Ship"]
