"""Operating instances in the browser: suspend/resume/cancel with a reason, incidents with Retry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.flow import deploy_xml, jobs_of, run_due_jobs, start
from tests.timer_samples import async_service_with_retries
from tests.web.conftest import Browser


def _instance(world: None) -> int:
    key = f"pg_ops_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", async_service_with_retries(key, "crm.get_customer", retries=0))
    return start(key, {"customer_code": "C-NOPE-404"})


def test_an_owner_suspends_and_resumes_an_instance_with_a_reason(world: None, browser: Callable[..., Browser]) -> None:
    iid = _instance(world)
    owner = browser("owner")
    page = owner.get(f"/instances/{iid}")
    assert 'id="operations"' in page.text
    after = owner.post(f"/instances/{iid}/suspend", {"reason": "waiting for credit check"})
    assert after.status_code == 200 and "Instance suspended." in after.text
    assert "waiting for credit check" in after.text  # in the history
    resumed = owner.post(f"/instances/{iid}/resume", {"reason": ""})
    assert "Instance resumed." in resumed.text


def test_sales_sees_no_operations_and_may_not_post_them(world: None, browser: Callable[..., Browser]) -> None:
    iid = _instance(world)
    sales = browser("sales")
    assert 'id="operations"' not in sales.get(f"/instances/{iid}").text
    assert sales.post(f"/instances/{iid}/cancel", {"reason": "x"}).status_code == 403


def test_an_incident_shows_on_the_instance_and_in_the_list_and_retry_runs_the_job(
        world: None, browser: Callable[..., Browser]) -> None:
    iid = _instance(world)
    assert "failed" in run_due_jobs()
    owner = browser("owner")
    page = owner.get(f"/instances/{iid}")
    assert 'class="alert alert-error incident"' in page.text and "C-NOPE-404" in page.text
    listing = owner.get("/incidents")
    assert f'href="/instances/{iid}"' in listing.text
    incident_id = int(page.text.split('id="incident-')[1].split('"')[0])
    after: Any = owner.post(f"/incidents/{incident_id}/retry", {"back": f"/instances/{iid}"})
    assert "Retry scheduled" in after.text
    [job] = jobs_of(iid, "service")
    assert (job.status, job.attempts) == ("pending", 0)
