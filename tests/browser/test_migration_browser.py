"""In Chromium: a process owner migrates a running lead-to-cash instance from v1 to v2 and sees it in its history."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.db import transaction
from engine import runtime
from tests.browser.test_inbox_browser import shot, sign_in
from tests.engine.test_migration import LEAD_TO_CASH, deploy_lead_to_cash, lead_to_cash_v2, rekeyed

pytestmark = pytest.mark.browser


def _lead_on_v1_then_v2() -> tuple[str, int]:
    """A lead-to-cash copy under a fresh key: one instance waiting at Qualify lead on v1, then v2 deployed."""
    key = f"l2c_mig_{uuid.uuid4().hex[:6]}"
    with transaction() as session:
        deploy_lead_to_cash(session, rekeyed(LEAD_TO_CASH.read_text(encoding="utf-8"), key), name=f"{key}.bpmn")
        sales = runtime.Actor("sales", {"sales"})
        instance = runtime.start_instance(session=session, process_key=key, actor=sales,
                                          variables={"customer_code": "C-SH-003", "lead_title": "Pumps",
                                                     "source": "web"})
        contact = runtime.next_task_for(session=session, instance_id=instance.id, actor=sales)
        assert contact is not None and contact.element_id == "Activity_FirstContact"
        runtime.complete_task(session=session, task_id=contact.id, actor=sales, data={"channel": "phone"})
        deploy_lead_to_cash(session, lead_to_cash_v2(key), name=f"{key}.bpmn")
        return key, instance.id


def test_an_owner_migrates_an_instance_to_v2_and_sees_it_in_the_history(page: Any) -> None:
    key, iid = _lead_on_v1_then_v2()
    sign_in(page, "owner")
    page.goto(f"/processes/{key}/2")
    page.click("#migrate-link")
    page.wait_for_url(f"**/migrations/{key}?to=2")
    row = page.locator(f"#check-{iid}")
    assert row.get_attribute("class") == "can-move"
    assert "Qualify lead" in row.inner_text()
    assert row.locator("input[name=instance]").is_checked()
    shot(page, "migration-check")
    page.click("#migrate-btn")
    page.wait_for_selector("#results")
    assert page.locator(f"#result-{iid}").get_attribute("class") == "moved"
    shot(page, "migration-result")
    page.click(f"#result-{iid} a")
    page.wait_for_url(f"**/instances/{iid}")
    migrated = page.locator("#history .event-instance_migrated")
    assert "Instance migrated" in migrated.inner_text() and "v1 → v2" in migrated.inner_text()
    assert "v2" in page.locator(".page-head .meta").inner_text()
    migrated.scroll_into_view_if_needed()
    shot(page, "migration-history")
