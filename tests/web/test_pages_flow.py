"""Lead to cash, start to paid, through the HTML pages only: each demo user sees and works only their group's tasks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from domain.db import transaction
from engine.models import ProcessInstance
from tests import flow
from tests.web.conftest import Browser
from tests.web.test_pages import inbox_row, instance_id, start_lead, task_id, unique

WORKERS = ("sales", "director", "warehouse", "finance")


def visible_to(browsers: dict[str, Browser], business_key: str) -> set[str]:
    """Who finds the instance's open task in their groups' tab."""
    return {name for name, b in browsers.items() if inbox_row(b, business_key) is not None}


def open_in_inbox(b: Browser, business_key: str) -> tuple[int, str]:
    """Open the instance's task from the inbox: (task id, page html)."""
    tid = inbox_row(b, business_key)
    assert tid is not None
    page = b.get(f"/tasks/{tid}")
    assert page.status_code == 200
    return tid, page.text


def test_lead_to_cash_through_the_pages(browser: Callable[..., Browser], goods: tuple[str, str]) -> None:
    customer, sku = goods
    users = {name: browser(name) for name in WORKERS}
    key = unique("L2C")
    sales = users["sales"]

    qualify = start_lead(sales, customer, key)
    assert "<h1>Qualify lead</h1>" in qualify.text
    iid = instance_id(qualify)
    quote = sales.post(f"/tasks/{task_id(qualify)}/complete", {"qualified": "true", "budget_confirmed": "true"})
    assert "<h1>Prepare quote</h1>" in quote.text  # sales goes straight on to the next sales task
    done = sales.post(f"/tasks/{task_id(quote)}/complete", {
        "lines[0][item_sku]": sku, "lines[0][quantity]": "30", "valid_days": "14"})
    assert done.url.path == "/" and "“Prepare quote” completed" in done.text

    assert visible_to(users, key) == {"director"}  # 78,000.00 is over the regular customer's 50,000 threshold
    tid, page = open_in_inbox(users["director"], key)
    assert "<h1>Approve quote</h1>" in page and "CN¥78,000.00" in page and sku in page
    assert "Credit exposure (with this quote)" in page and "Payment history" in page and "Margin" in page
    users["director"].post(f"/tasks/{tid}/complete", {"decision": "approve", "comment": "good margin"})

    assert visible_to(users, key) == {"sales", "director"}  # the director is in the sales group too
    tid, page = open_in_inbox(sales, key)
    assert "<h1>Record customer answer</h1>" in page
    sales.post(f"/tasks/{tid}/complete", {"accepted": "true"})

    assert visible_to(users, key) == {"warehouse"}
    tid, page = open_in_inbox(users["warehouse"], key)
    assert "<h1>Ship order</h1>" in page and "SO-" in page
    users["warehouse"].post(f"/tasks/{tid}/complete", {
        "carrier": "SF Express", "tracking_number": "SF1234567890", "shipped_on": date.today().isoformat(),
        "expected_delivery": (date.today() + timedelta(days=1)).isoformat(), "notify_email": "goods@example.com"})
    flow.run_due_jobs()  # delivery tomorrow: the customer is told now, and the invoice follows

    assert visible_to(users, key) == {"finance"}
    tid, page = open_in_inbox(users["finance"], key)
    with transaction() as session:
        instance = session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == key))
        assert instance is not None
        invoice = instance.variables["invoice"]
    assert "<h1>Record payment</h1>" in page and invoice["number"] in page and "CN¥78,000.00" in page
    paid = users["finance"].post(f"/tasks/{tid}/complete", {
        "amount": str(invoice["total"]), "paid_on": date.today().isoformat(), "reference": f"TT {key}"})
    assert paid.url.path == "/" and "“Record payment” completed" in paid.text

    assert visible_to(users, key) == set()
    final = sales.get(f"/instances/{iid}")
    assert 'id="instance-status">Completed<' in final.text
    markers = re.search(r'id="diagram-markers">(.*?)</script>', final.text)
    assert markers is not None
    for element in ("Activity_DirectorApproval", "Activity_ShipOrder", "Activity_RecordPayment", "EndEvent_OrderPaid"):
        assert f'"{element}"' in markers.group(1)
    assert '"active": []' in markers.group(1)
    for text in ("Instance completed", "good margin", "SF1234567890", f"TT {key}"):
        assert text in final.text
