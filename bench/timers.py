"""`python -m bench.timers [--pending N] [--due M]`: N timers pending an hour ahead, M due within seconds; the
embedded worker fires the due ones on the real clock. Prints their lateness (fired - due) p50/p95/max: a big
backlog must not make due timers late (promise: within 2 s)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid

from sqlalchemy import select

from bench.__main__ import _use_database
from tests.timer_samples import intermediate_timer


def _create(key: str, count: int) -> None:
    from domain.db import transaction
    from engine import runtime

    ops = runtime.Actor("ops", {"ops"})
    for _ in range(count):
        with transaction() as session:
            iid = runtime.start_instance(session=session, process_key=key, actor=ops).id
            task = runtime.next_task_for(session=session, instance_id=iid, actor=ops)
            assert task is not None
            runtime.complete_task(session=session, task_id=task.id, actor=ops, data={})


def _deploy(key: str, duration: str) -> None:
    from domain.db import transaction
    from engine import deployment
    from engine.bundle import BundleFile

    with transaction() as session:
        deployment.deploy(session=session, actor="bench",
                          files=[BundleFile(f"{key}.bpmn", intermediate_timer(key, duration).encode())])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pending", type=int, default=3000, help="timers due in an hour (the backlog)")
    parser.add_argument("--due", type=int, default=200, help="timers due within seconds")
    args = parser.parse_args()
    from domain.db import transaction
    from engine import jobs
    from engine.models import Event, Job
    from tasks.embedded import start_embedded_worker

    with tempfile.TemporaryDirectory() as tmp:
        _use_database(f"sqlite:///{tmp}/timers.db")
        far, near = f"far_{uuid.uuid4().hex[:6]}", f"near_{uuid.uuid4().hex[:6]}"
        _deploy(far, "PT1H")
        _deploy(near, "PT5S")
        began = time.monotonic()
        _create(far, args.pending)
        print(f"backlog: {args.pending} timers pending an hour ahead ({time.monotonic() - began:.1f} s to create)")
        worker = start_embedded_worker(poll=0.2)
        try:
            _create(near, args.due)  # each due 5 s after its instance reached the timer
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with transaction() as session:
                    fired = session.execute(select(Event.task_guid, Event.at).where(Event.type == "timer_fired")).all()
                if len(fired) >= args.due:
                    break
                time.sleep(0.5)
        finally:
            worker.stop()
            jobs.set_dispatcher(None)
        with transaction() as session:
            dues = {j.task_guid: j.due_at for j in session.scalars(select(Job).where(Job.kind == "timer"))}
        late = sorted((at - dues[guid]).total_seconds() for guid, at in fired)
        q = statistics.quantiles(late, n=100)
        print(f"fired {len(late)}/{args.due} due timers with {args.pending} pending: lateness p50 {q[49]:.2f} s  "
              f"p95 {q[94]:.2f} s  max {late[-1]:.2f} s  (promise: within 2 s)")


if __name__ == "__main__":
    main()
