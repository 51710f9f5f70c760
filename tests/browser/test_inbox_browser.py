"""In Chromium: sign in, start lead-to-cash from the start page, work the first tasks, claim/unclaim without reloads."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from domain.db import transaction
from engine import runtime
from engine.models import HumanTask, ProcessInstance, TaskStatus
from tests.browser.conftest import ARTIFACTS
from tests.factories import make_customer, make_item, make_warehouse, receive

pytestmark = pytest.mark.browser


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture
def goods(world: None) -> tuple[str, str]:
    """A fresh regular customer and an item with stock: (customer code, sku)."""
    with transaction() as session:
        customer = make_customer(session, name=f"Browser Test {unique('C')}", tier="regular")
        item = make_item(session, sku=unique("VALVE"), name="Test valve", list_price=Decimal("140.00"))
        receive(session, item, make_warehouse(session), "50")
        return customer.code, item.sku


def start_lead(customer_code: str, business_key: str) -> int:
    """A lead started behind the browser's back (as another tab would): the First contact task id."""
    sales = runtime.Actor("sales", {"sales"})
    with transaction() as session:
        instance = runtime.start_instance(session=session, process_key="lead_to_cash", actor=sales,
                                          business_key=business_key, variables={
                                              "customer_code": customer_code, "lead_title": "Valves",
                                              "source": "phone"})
        task = runtime.next_task_for(session=session, instance_id=instance.id, actor=sales)
        assert task is not None
        return task.id


def sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/")


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_sales_starts_a_lead_and_completes_the_first_tasks(page: Any, goods: tuple[str, str]) -> None:
    customer, sku = goods
    key = unique("BR")
    sign_in(page, "sales")
    page.goto("/start")
    card = page.locator("#process-lead_to_cash")
    if card.get_attribute("open") is None:  # with many processes deployed the cards start folded
        card.locator("summary").click()
    card.locator("[name=customer_code]").fill(customer)
    card.locator("[name=lead_title]").fill("Valves for the cooling loop")
    card.locator("[name=source]").select_option("referral")
    card.locator("[name=_business_key]").fill(key)
    shot(page, "start-form")
    card.locator("button[type=submit]").click()

    page.wait_for_url("**/tasks/*")
    assert page.locator("h1").inner_text() == "First contact"
    assert key in page.content()
    page.check("input[name=channel][value=phone]")
    page.fill("[name=contact_note]", "Needs valves for the cooling loop by March")
    shot(page, "first-contact")
    page.click("#complete-btn")

    page.wait_for_function("document.querySelector('h1').textContent.includes('Qualify lead')")
    page.check("input[name=qualified][value=true]")
    page.check("input[type=checkbox][name=budget_confirmed]")
    shot(page, "qualify-lead")
    page.click("#complete-btn")

    page.wait_for_function("document.querySelector('h1').textContent.includes('Prepare quote')")
    rows = page.locator("[data-table] tbody[data-rows] > tr")
    assert rows.count() == 1
    page.click("[data-add-row]")
    assert rows.count() == 2
    rows.nth(1).locator("[data-remove-row]").click()
    assert rows.count() == 1
    page.fill("[name='lines[0][item_sku]']", sku)
    page.fill("[name='lines[0][quantity]']", "3")
    shot(page, "prepare-quote")
    page.click("#complete-btn")

    # 420.00 at list price is within every limit: the quote goes out and sales records the customer's answer next
    page.wait_for_function("document.querySelector('h1').textContent.includes('Record customer answer')")
    assert "“Prepare quote” completed" in page.locator("#flash").inner_text()
    with transaction() as session:
        instance = session.query(ProcessInstance).filter_by(business_key=key).one()
        assert (instance.variables["quote"]["amount"], instance.variables["quote"]["status"]) == ("420.00", "sent")
        names = [t.name for t in session.query(HumanTask).filter_by(instance_id=instance.id, status=TaskStatus.OPEN)]
        assert names == ["Record customer answer"]


def test_claim_and_unclaim_in_the_inbox_without_a_reload(page: Any, goods: tuple[str, str]) -> None:
    key, other = unique("BR"), unique("BR")
    start_lead(goods[0], key)
    contested = start_lead(goods[0], other)
    sign_in(page, "sales")
    page.goto("/?tab=group")
    page.evaluate("window.__noReload = 'still here'")
    row = page.locator("tr.task-row", has_text=key)
    mine = int(page.inner_text("#count-mine"))

    row.locator("button[data-action=claim]").click()
    page.wait_for_function(f"document.querySelector('#count-mine').textContent.trim() === '{mine + 1}'")
    assert row.locator("button[data-action=unclaim]").is_visible()
    assert "You claimed" in page.inner_text("#flash")
    shot(page, "inbox-claimed")

    row.locator("button[data-action=unclaim]").click()
    page.wait_for_function(f"document.querySelector('#count-mine').textContent.trim() === '{mine}'")
    assert row.locator("button[data-action=claim]").is_visible()

    with transaction() as session:  # the director takes the other task meanwhile
        runtime.claim_task(session=session, task_id=contested, actor=runtime.Actor("director", {"sales"}))
    page.locator("tr.task-row", has_text=other).locator("button[data-action=claim]").click()
    page.wait_for_selector("#flash .flash-error")
    assert "Someone else has already claimed this task." in page.inner_text("#flash")
    assert "is-stale" in (page.locator("tr.task-row", has_text=other).get_attribute("class") or "")
    shot(page, "inbox-conflict")
    assert page.evaluate("window.__noReload") == "still here"

