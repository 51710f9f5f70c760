"""The audit log: auditors and admins read it, filter it, export it and verify the chains; auditors change nothing."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from domain.db import transaction
from engine import deployment, runtime
from engine.models import Event, HumanTask, ProcessInstance
from tests.bpmn_samples import bundle, simple_process
from tests.flow import instance_status, start, task_status
from tests.web.conftest import Browser, token_for
from web.pages import audit as audit_pages


@pytest.fixture
def review(world: None) -> tuple[str, int, str, int]:
    """A fresh process waiting at its Review task: (process key, instance id, business key, task id)."""
    key = f"audit_{uuid.uuid4().hex[:8]}"
    with transaction() as session:
        deployment.deploy(session=session, files=bundle(simple_process(key=key), name=f"{key}.bpmn"), actor="owner")
    iid = start(key, {"amount": 100}, actor=runtime.Actor("olga", {"reviewers"}))
    with transaction() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.business_key
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == iid)).one()
        return key, iid, instance.business_key, task_id


@pytest.mark.parametrize("username", ["auditor", "admin"])
def test_auditors_and_admins_read_the_log_with_a_nav_link(username: str, browser: Callable[..., Browser],
                                                         review: tuple[str, int, str, int]) -> None:
    key, iid, business_key, _ = review
    page = browser(username).get(f"/audit?process_key={key}")
    assert page.status_code == 200
    assert 'href="/audit"' in page.text and 'id="audit-log"' in page.text
    assert f'href="/instances/{iid}">{business_key}</a>' in page.text


@pytest.mark.parametrize("path", ["/audit", "/audit/verify", "/audit/export.csv"])
def test_others_may_not_read_the_log(path: str, browser: Callable[..., Browser]) -> None:
    sales = browser("sales")
    assert 'href="/audit"' not in sales.get("/").text
    assert sales.get(path).status_code == 403


def test_the_log_filters_by_process_business_key_type_user_and_days(
        browser: Callable[..., Browser], review: tuple[str, int, str, int]) -> None:
    key, iid, business_key, _ = review
    auditor = browser("auditor")
    rows = auditor.get(f"/audit?process_key={key}").text.count('class="audit-row"')
    assert rows >= 3  # started, element completed, task ready ...
    # The process key also matches its definition's chain (deployed); the business key only the instance's.
    assert auditor.get(f"/audit?business_key={business_key}").text.count('class="audit-row"') == rows - 1
    only_ready = auditor.get(f"/audit?process_key={key}&type=task_ready").text
    assert only_ready.count('class="audit-row"') == 1
    assert auditor.get(f"/audit?process_key={key}&actor=olga").text.count('class="audit-row"') >= 1
    assert "No events match." in auditor.get(f"/audit?process_key={key}&actor=nobody-at-all").text
    assert "No events match." in auditor.get(f"/audit?process_key={key}&since=2099-01-01").text
    assert "No events match." in auditor.get(f"/audit?process_key={key}&until=2000-01-01").text
    assert auditor.get(f"/audit?process_key={key}&since=2000-01-01&until=2099-12-31"
                       ).text.count('class="audit-row"') == rows


def test_the_log_is_paged_newest_first(browser: Callable[..., Browser], review: tuple[str, int, str, int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    key, iid, _, _ = review
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 2)
    auditor = browser("auditor")
    first = auditor.get(f"/audit?process_key={key}").text
    assert first.count('class="audit-row"') == 2 and 'rel="next"' in first and 'rel="prev"' not in first
    assert f'href="/audit?process_key={key}&amp;page_no=2"' in first  # the filter is kept
    pages = [first] + [auditor.get(f"/audit?process_key={key}&page_no={n}").text for n in (2, 3, 4)]
    assert 'rel="prev"' in pages[1]
    seqs = [int(chunk.split(f"instance:{iid} #")[1].split("<")[0])
            for text in pages for chunk in text.split('class="audit-row"')[1:] if f"instance:{iid} #" in chunk]
    assert seqs == sorted(seqs, reverse=True) and seqs[0] > 1 and seqs[-1] == 1  # newest first, all pages


def test_the_csv_export_streams_the_filtered_log_with_a_bom(
        browser: Callable[..., Browser], review: tuple[str, int, str, int]) -> None:
    key, iid, business_key, _ = review
    response = browser("auditor").get(f"/audit/export.csv?business_key={business_key}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["at", "chain", "seq", "type", "actor"]
    assert len(rows) > 3 and {r[1] for r in rows[1:]} == {f"instance:{iid}"}
    assert {r[5] for r in rows[1:]} == {key} and {r[6] for r in rows[1:]} == {business_key}
    assert [int(r[2]) for r in rows[1:]] == sorted((int(r[2]) for r in rows[1:]), reverse=True)
    assert "task_ready" in {r[3] for r in rows[1:]}


def test_verify_shows_the_first_broken_link_of_a_tampered_chain(
        browser: Callable[..., Browser], review: tuple[str, int, str, int]) -> None:
    _, iid, _, _ = review
    auditor = browser("auditor")
    assert "events verified" in auditor.get("/audit/verify", headers={"HX-Request": "true"}).text
    chain = f"instance:{iid}"
    with transaction() as session:
        actor = session.scalars(select(Event.actor).where(Event.chain == chain, Event.seq == 1)).one()
        session.execute(update(Event).where(Event.chain == chain, Event.seq == 1).values(actor="mallory"))
    try:
        result = auditor.get("/audit/verify", headers={"HX-Request": "true"}).text
        assert f'<a href="/instances/{iid}">{chain}</a></td>\n        <td>#1</td>' in result
        assert "an event was edited" in result
        assert 'id="audit-log"' in auditor.get("/audit/verify").text  # without htmx: the whole page
    finally:
        with transaction() as session:
            session.execute(update(Event).where(Event.chain == chain, Event.seq == 1).values(actor=actor))
    assert chain not in auditor.get("/audit/verify", headers={"HX-Request": "true"}).text


def test_an_auditors_posts_on_pages_are_refused(browser: Callable[..., Browser],
                                                review: tuple[str, int, str, int]) -> None:
    _, iid, _, task_id = review
    auditor = browser("auditor")
    assert auditor.post(f"/tasks/{task_id}/claim").status_code in (403, 404)
    assert auditor.post(f"/tasks/{task_id}/complete", {"approved": "true"}).status_code in (403, 404)
    assert auditor.post(f"/instances/{iid}/suspend", {"reason": "x"}).status_code == 403
    assert auditor.post(f"/instances/{iid}/cancel", {"reason": "x"}).status_code == 403
    assert auditor.post("/incidents/1/retry").status_code == 403
    assert (task_status(iid, "Activity_Review"), instance_status(iid)) == ("open", "running")


def test_an_auditors_api_calls_that_change_state_are_refused(client: TestClient,
                                                             review: tuple[str, int, str, int]) -> None:
    key, iid, _, task_id = review
    headers = token_for(client, "auditor")
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers).status_code in (403, 404)
    assert client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                       json={"data": {"approved": True}}).status_code in (403, 404)
    for action in ("suspend", "resume", "cancel"):
        assert client.post(f"/api/v1/process-instances/{iid}/{action}", headers=headers,
                           json={"reason": "x"}).status_code == 403
    assert client.post("/api/v1/incidents/1/retry", headers=headers).status_code == 403
    deploy = client.post("/api/v1/process-definitions", headers=headers,
                         files=[("files", (f"{key}.bpmn", simple_process(key=key + "_x").encode()))])
    assert deploy.status_code == 403
    assert (task_status(iid, "Activity_Review"), instance_status(iid)) == ("open", "running")


def test_the_excel_export_holds_the_filtered_log_with_real_times(
        browser: Callable[..., Browser], review: tuple[str, int, str, int]) -> None:
    from datetime import datetime

    from openpyxl import load_workbook

    _, iid, business_key, _ = review
    response = browser("auditor").get(f"/audit/export.xlsx?business_key={business_key}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True)["Audit log"].iter_rows(values_only=True))
    assert rows[0][:3] == ("at (UTC)", "chain", "seq")
    assert len(rows) > 3 and {r[1] for r in rows[1:]} == {f"instance:{iid}"}
    assert all(isinstance(r[0], datetime) for r in rows[1:])
    assert browser("sales").get(f"/audit/export.xlsx?business_key={business_key}").status_code == 403


def test_the_log_filters_by_customer_across_processes(browser: Callable[..., Browser], world: None) -> None:
    key = f"audit_{uuid.uuid4().hex[:8]}"
    with transaction() as session:
        deployment.deploy(session=session, files=bundle(simple_process(key=key), name=f"{key}.bpmn"), actor="owner")
    customer = f"C-AUD-{uuid.uuid4().hex[:6]}"
    reviewer = runtime.Actor("olga", {"reviewers"})
    mine = start(key, {"amount": 100, "customer_code": customer}, actor=reviewer)
    other = start(key, {"amount": 100, "customer_code": "C-SOMEONE-ELSE"}, actor=reviewer)
    page = browser("auditor").get(f"/audit?customer={customer}").text
    assert f'href="/instances/{mine}"' in page and f'href="/instances/{other}"' not in page
    csv_text = browser("auditor").get(f"/audit/export.csv?customer={customer}").text
    assert {row["instance_id"] for row in csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))} == {str(mine)}
