"""Async service tasks retry with backoff; when retries run out an incident stops the path until a retry succeeds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from domain.db import transaction
from domain.operators import Operator
from engine import history, incidents, services
from engine.models import IncidentStatus, JobStatus
from tests.conftest import MovableClock
from tests.flow import deploy_xml, jobs_of, open_tasks, run_due_jobs, start
from tests.timer_samples import async_service_with_retries


class _Params(BaseModel):
    customer_code: str


class Flaky:
    """An operator that fails a given number of times, then answers."""

    def __init__(self, failures: int, *, asynchronous: bool = False) -> None:
        self.failures, self.calls = failures, 0
        self.operator = Operator(name="crm.get_customer", func=self, params=_Params, asynchronous=asynchronous,
                                 retries=2, backoff_seconds=2.0)

    def __call__(self, *, session: Any, customer_code: str) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"CRM unreachable (call {self.calls})")
        return {"code": customer_code, "tier": "key"}


@pytest.fixture
def flaky() -> Iterator[Any]:
    made: list[Flaky] = []

    def install(failures: int, **kw: Any) -> Flaky:
        made.append(Flaky(failures, **kw))
        return made[-1]

    yield install


def _deploy(**kw: Any) -> str:
    key = f"svc_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", async_service_with_retries(key, "crm.get_customer", **kw))
    return key


def test_a_service_that_fails_twice_then_succeeds_completes_after_backoff(world: None, moving_clock: MovableClock,
                                                                          flaky: Any) -> None:
    op = flaky(2)
    with services.overridden({"crm.get_customer": op.operator}):
        iid = start(_deploy(), {"customer_code": "C-SZ-002"})
        assert run_due_jobs() == ["failed"]
        assert run_due_jobs() == []  # backing off: 2 s
        moving_clock.advance(seconds=2)
        assert run_due_jobs() == ["failed"]
        moving_clock.advance(seconds=3)
        assert run_due_jobs() == []  # second backoff is 4 s
        moving_clock.advance(seconds=1)
        assert run_due_jobs() == ["done"]
    assert op.calls == 3 and open_tasks(iid) == ["Activity_Check"]
    [job] = jobs_of(iid, "service")
    assert (job.status, job.attempts) == (JobStatus.DONE, 3)


def test_the_diagrams_retries_override_the_operators(world: None, moving_clock: MovableClock, flaky: Any) -> None:
    op = flaky(99)
    with services.overridden({"crm.get_customer": op.operator}):
        iid = start(_deploy(retries=0), {"customer_code": "C-SZ-002"})
        assert run_due_jobs() == ["failed"]
    [job] = jobs_of(iid, "service")
    assert (job.status, job.max_attempts) == (JobStatus.FAILED, 1)


def test_exhausted_retries_raise_an_incident_and_retry_after_the_fix_continues(world: None, moving_clock: MovableClock,
                                                                               flaky: Any) -> None:
    broken = flaky(99)
    with services.overridden({"crm.get_customer": broken.operator}):
        iid = start(_deploy(retries=1, backoff=1), {"customer_code": "C-SZ-002"})
        run_due_jobs()
        moving_clock.advance(seconds=1)
        run_due_jobs()
    with transaction() as session:
        [incident] = incidents.list_incidents(session=session, instance_id=iid)
        assert incident.element_id == "Activity_Call" and incident.attempts == 2
        assert "CRM unreachable" in incident.error and "ConnectionError" in incident.trace
        incident_id = incident.id
    assert open_tasks(iid) == []
    fixed = flaky(0)
    with services.overridden({"crm.get_customer": fixed.operator}):
        with transaction() as session:
            incidents.retry(session=session, incident_id=incident_id, actor="olga")
        assert run_due_jobs() == ["done"]
    assert open_tasks(iid) == ["Activity_Check"]
    with transaction() as session:
        [resolved] = incidents.list_incidents(session=session, status=IncidentStatus.RESOLVED, instance_id=iid)
        assert resolved.resolved_by == "olga"
        kinds = [e.type for e in history.instance_history(session=session, instance_id=iid)]
    assert kinds.count("incident_raised") == 1
    assert kinds.index("incident_raised") < kinds.index("incident_retried") < kinds.index("incident_resolved")


def test_an_operator_registered_async_runs_as_a_job_without_the_diagram_saying_so(world: None, flaky: Any) -> None:
    from tests.bpmn_samples import async_service_process

    op = flaky(0, asynchronous=True)
    key = f"opasync_{uuid.uuid4().hex[:6]}"
    xml = async_service_process(key=key).replace(
        '<spiffworkflow:properties><spiffworkflow:property name="async" value="true"/></spiffworkflow:properties>', "")
    with services.overridden({"crm.get_customer": op.operator}):
        deploy_xml(f"{key}.bpmn", xml)
        iid = start(key, {"customer_code": "C-SZ-002"})
        assert op.calls == 0 and open_tasks(iid) == []
        assert run_due_jobs() == ["done"]
    assert op.calls == 1 and open_tasks(iid) == ["Activity_FollowUp"]
