"""The embedded worker on the real clock: a 1-second timer fires within the 2-second promise."""

from __future__ import annotations

import time
import uuid

from tests.conftest import MovableClock
from tests.flow import complete, deploy_xml, open_tasks, start
from tests.timer_samples import intermediate_timer


def test_a_timer_fires_on_the_real_clock_through_the_embedded_worker(world: None) -> None:
    from engine import jobs
    from tasks.embedded import start_embedded_worker

    key = f"realtime_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", intermediate_timer(key, "PT1S"))
    worker = start_embedded_worker(poll=0.2)
    try:
        iid = start(key)
        complete(iid, "Activity_First")
        began = time.monotonic()
        while open_tasks(iid) != ["Activity_Second"] and time.monotonic() - began < 4.5:
            time.sleep(0.1)
        fired_after = time.monotonic() - began
    finally:
        worker.stop()
        worker.join(timeout=5)
        jobs.set_dispatcher(None)
    assert open_tasks(iid) == ["Activity_Second"]
    assert fired_after < 1.0 + 2.0  # due after 1 s, fired within 2 s of due


def test_a_timer_that_fell_due_while_no_worker_ran_fires_when_one_starts(world: None,
                                                                         moving_clock: MovableClock) -> None:
    from engine import jobs
    from tasks.embedded import start_embedded_worker
    from tests.tasks.workers import wait_for

    key = f"restart_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", intermediate_timer(key, "PT1H"))
    iid = start(key)
    complete(iid, "Activity_First")
    moving_clock.advance(hours=3)  # due long ago, while nothing ran (a stopped or crashed server)
    assert open_tasks(iid) == []
    worker = start_embedded_worker(poll=0.2)  # the restart: its first sweep finds the overdue timer
    try:
        assert wait_for(lambda: open_tasks(iid) == ["Activity_Second"], timeout=30)
    finally:
        worker.stop()
        worker.join(timeout=5)
        jobs.set_dispatcher(None)
