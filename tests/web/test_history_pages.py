"""History for auditors on the web: the XES download (API and page), the archive with its dry run, archived history
still shown on the instance page and the batch page, and the archive in the Verify result."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import update

from domain.db import transaction
from engine import retention
from engine.models import ProcessInstance
from tests.engine.test_xes import _two_step_process
from tests.flow import complete, deploy_xml, start
from tests.web.conftest import Browser

XES = "{http://www.xes-standard.org/}"


@pytest.fixture
def finished(world: None) -> tuple[str, list[int]]:
    """A fresh process with two finished instances and one waiting: (key, [finished ids])."""
    key = f"hist_{uuid.uuid4().hex[:8]}"
    deploy_xml(f"{key}.bpmn", _two_step_process(key))
    ids = []
    for _ in range(2):
        iid = start(key)
        complete(iid, "Activity_Review")
        complete(iid, "Activity_Approve")
        ids.append(iid)
    start(key)
    return key, ids


@pytest.fixture
def archived(finished: tuple[str, list[int]]) -> tuple[str, int, int]:
    """One finished instance ended "long ago" and archived: (key, instance id, batch seq)."""
    key, ids = finished
    with transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == ids[0])
                        .values(ended_at=datetime(1990, 1, 1, tzinfo=UTC)))
    with transaction() as session:
        batch = retention.archive(session=session, actor="admin", days=365 * 20, limit=1)
        assert batch is not None
        return key, ids[0], batch.seq


def test_the_api_streams_one_trace_per_instance(client: TestClient, as_user, finished: tuple[str, list[int]]) -> None:  # type: ignore[no-untyped-def]
    key, _ = finished
    resp = client.get(f"/api/v1/history/xes?process_key={key}", headers=as_user("auditor"))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(resp.content)
    assert len(root.findall(f"{XES}trace")) == 3


def test_xes_of_an_unknown_process_is_404(client: TestClient, as_user) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/history/xes?process_key=no_such_process", headers=as_user("auditor"))
    assert (resp.status_code, resp.json()["code"]) == (404, "definition_not_found")


def test_people_without_history_rights_may_not_export(client: TestClient, as_user,  # type: ignore[no-untyped-def]
                                                      finished: tuple[str, list[int]]) -> None:
    resp = client.get(f"/api/v1/history/xes?process_key={finished[0]}", headers=as_user("sales"))
    assert (resp.status_code, resp.json()["code"]) == (403, "not_a_history_reader")


def test_the_audit_page_offers_the_xes_download(browser: Callable[..., Browser],
                                                finished: tuple[str, list[int]]) -> None:
    auditor = browser("auditor")
    assert 'id="xes-export"' in auditor.get("/audit").text
    resp = auditor.get(f"/audit/export.xes?process_key={finished[0]}&version=&since=&until=")
    assert resp.status_code == 200
    assert len(etree.fromstring(resp.content).findall(f"{XES}trace")) == 3


def test_archived_history_is_still_in_the_xes_export(client: TestClient, as_user,  # type: ignore[no-untyped-def]
                                                     archived: tuple[str, int, int]) -> None:
    key, iid, _ = archived
    root = etree.fromstring(client.get(f"/api/v1/history/xes?process_key={key}", headers=as_user("auditor")).content)
    traces = {t.find(f"{XES}int[@key='instance_id']").get("value"): t for t in root.findall(f"{XES}trace")}
    assert len(traces[str(iid)].findall(f"{XES}event")) >= 6


def test_the_archive_dry_run_lists_what_is_due_and_changes_nothing(browser: Callable[..., Browser],
                                                                   finished: tuple[str, list[int]]) -> None:
    key, ids = finished
    with transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == ids[1])
                        .values(ended_at=datetime(1991, 1, 1, tzinfo=UTC)))
    page = browser("auditor").get("/audit/archive?days=7000")
    assert page.status_code == 200 and 'id="archive-preview"' in page.text
    assert f"/instances/{ids[1]}" in page.text
    with transaction() as session:
        assert retention.archive_of(session=session, instance_id=ids[1]) is None
        assert retention.plan(session=session, days=7000).instance_ids  # still due: nothing was archived


def test_the_instance_page_shows_archived_history_marked(browser: Callable[..., Browser],
                                                         archived: tuple[str, int, int]) -> None:
    _, iid, seq = archived
    page = browser("auditor").get(f"/instances/{iid}")
    assert page.status_code == 200
    assert 'id="history-archived"' in page.text and "event-archived" in page.text
    assert "event-task_completed" in page.text


def test_the_batch_page_lists_its_events_as_archived(browser: Callable[..., Browser],
                                                     archived: tuple[str, int, int]) -> None:
    _, iid, seq = archived
    auditor = browser("auditor")
    assert f'href="/audit/archive/{seq}"' in auditor.get("/audit/archive").text
    page = auditor.get(f"/audit/archive/{seq}")
    assert page.status_code == 200 and f"instance:{iid} #1" in page.text and "archived" in page.text


def test_verify_reports_the_archive_too(browser: Callable[..., Browser], archived: tuple[str, int, int]) -> None:
    page = browser("auditor").get("/audit/verify", headers={"HX-Request": "true"})
    assert 'id="archive-verify-status" data-intact="true"' in page.text


def test_only_auditors_and_admins_see_the_archive(browser: Callable[..., Browser]) -> None:
    assert browser("sales").get("/audit/archive").status_code == 403


def test_the_log_filter_finds_archived_instances_and_points_to_their_batch(browser: Callable[..., Browser],
                                                                          archived: tuple[str, int, int]) -> None:
    key, iid, seq = archived
    page = browser("auditor").get(f"/audit?process_key={key}")
    assert 'id="audit-archived-matches"' in page.text
    assert f'href="/instances/{iid}"' in page.text and f"/audit/archive/{seq}?business_key=" in page.text
