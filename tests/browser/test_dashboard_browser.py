"""In Chromium: a manager opens the lead-to-cash dashboard; the charts draw and the heatmap overlays render."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from domain.db import transaction
from engine import runtime
from engine.models import HumanTask, TaskStatus
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_inbox_browser import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.browser
SALES = runtime.Actor("sales", {"sales"})


@dataclass
class History:
    customer: str
    waiting_at: str  # the first task, where the leads wait


@pytest.fixture
def lead_to_cash_history(world: None) -> History:
    """Five leads of a fresh customer, each run to its first task (the rest of lead-to-cash is its owner's)."""
    with transaction() as session:
        customer = make_customer(session, tier="regular").code
    ids = []
    for n in range(5):
        with transaction() as session:
            ids.append(runtime.start_instance(session=session, process_key="lead_to_cash", actor=SALES, variables={
                "customer_code": customer, "lead_title": f"Dashboard {n}", "source": "web"}).id)
    with transaction() as session:
        waits = set(session.scalars(select(HumanTask.element_id).where(HumanTask.instance_id.in_(ids),
                                                                       HumanTask.status == TaskStatus.OPEN)))
    assert len(waits) == 1
    return History(customer, waits.pop())


def test_manager_sees_the_lead_to_cash_heatmap(page: Any, lead_to_cash_history: History) -> None:
    sign_in(page, "manager")
    page.goto("/dashboards")
    page.click("a[href='/dashboards/lead_to_cash']")
    page.goto(f"/dashboards/lead_to_cash?customer_code={lead_to_cash_history.customer}")
    page.wait_for_selector("#heatmap[data-rendered='true']")
    heat = json.loads(page.text_content("#heatmap-data"))
    badges = page.locator(".djs-overlays .heat-badge")
    assert badges.count() == len(heat["total"]) >= 3
    waiting = page.locator(f".djs-overlays[data-container-id='{lead_to_cash_history.waiting_at}'] "
                           ".heat-badge .waiting")
    assert waiting.text_content().startswith("5")
    assert page.get_attribute("#chart-per-day", "data-rendered") == "true"
    assert page.get_attribute("#chart-cycle", "data-rendered") == "true"
    page.screenshot(path=str(ARTIFACTS / "dashboard_heatmap.png"), full_page=True)
    page.click(".mode-switch [data-mode='waiting']")
    page.wait_for_selector("#heatmap[data-mode='waiting']")
    assert page.locator(".djs-overlays .heat-badge").count() == len(heat["total"])  # same elements, other times
    assert page.get_attribute(".mode-switch [data-mode='waiting']", "aria-pressed") == "true"
