"""Lead to cash (processes/lead_to_cash.bpmn) driven through /api/v1 with the demo users, time moved by the clock.

Walkthrough:
- `sales` records a lead (start form) for an existing customer (its code) or for a new company (name, contact,
  phone/email, region, industry). The lead is captured in the CRM and its owner comes from the lead's
  region/industry table (east: `li_na`, south: `wang_wei`, north: `chen_jie`; elsewhere the shared sales queue).
- The owner makes the first contact within 2 hours ("First contact": channel and note; the CRM records how many
  minutes it took). Still not contacted after 2 hours: Sales Management gets a mail, the task stays with the owner.
- The owner then qualifies the lead ("Qualify lead"); not qualified closes the lead. Qualified: an opportunity is
  opened (for a new company the customer is created with it) and the owner prepares the quote (items and
  quantities). List prices come from the items, the discount from the discount table (tier and amount).
- If the order would exceed the credit limit, the margin is under 15% or the amount is over the tier's threshold,
  `director` (Sales Management) approves or rejects (rejected: the draft is withdrawn and the owner quotes again).
  A large order from a weak-credit (C/D) customer also mails Finance.
- The owner records the customer's answer; without one the quote expires the day after its validity and the owner
  gets "Follow up expired quote" (quote again, or close the opportunity as lost).
- Accepted: the opportunity is won, the sales order is created and stock reserved. A shortage throws the message
  `purchase_request` (order number, shortfall) to procurement and waits for `goods_received`, then reserves again
  (still short: it asks procurement again for what is missing).
- `warehouse` ships (carrier, delivery date, whom to tell); the day before delivery the customer is mailed and the
  invoice is issued.
- The bank's message `payment_received` (correlated by the invoice number) or `finance` ("Record payment") settles
  it. Unpaid 5 days after the due date: the account owner gets "Chase overdue payment" and the finance manager
  (`zhao_min`) a mail, every week until paid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from domain.crm.models import Customer, Lead, Opportunity
from domain.db import transaction
from domain.finance.service import get_invoice
from domain.inventory.models import StockBalance
from domain.inventory.service import get_shipment, receive_stock
from domain.notifications.models import OutboxMail
from domain.sales.models import Quote
from domain.sales.service import get_order
from engine.models import HumanTask, Job, ProcessDefinition, ProcessInstance, TaskStatus
from tests import flow
from tests.conftest import MovableClock
from tests.factories import ACTOR, make_customer, make_item, make_warehouse, receive
from tests.processes.desk import Desk as BaseDesk
from web.app import create_app
from web.i18n import Formatter
from web.pages.context import instance_facts

KEY = "lead_to_cash"
FINANCE = "finance@flowdesk.example"
FINANCE_MANAGER = "finance.manager@flowdesk.example"
SALES_MANAGEMENT = "sales.management@flowdesk.example"


@dataclass
class Account:
    """A fresh customer (region east: owner of its leads li_na; account owner wang_wei) and item in stock."""

    code: str
    sku: str
    item_id: int
    warehouse_id: int


def account(*, tier: str = "strategic", rating: str = "B", limit: str = "1000000.00", stock: str = "100",
            cost: str = "1800.00") -> Account:
    with transaction() as session:
        customer = make_customer(session, name="Lead To Cash Test", tier=tier, credit_rating=rating,
                                 credit_limit=Decimal(limit), region="east", industry="machinery", owner="wang_wei")
        item = make_item(session, name="Pump", unit_cost=Decimal(cost), list_price=Decimal("2600.00"))
        warehouse = make_warehouse(session)
        receive(session, item, warehouse, stock)
        return Account(customer.code, item.sku, item.id, warehouse.id)


class Desk(BaseDesk):
    """Lead-to-cash steps as the people do them."""

    def start(self, code: str) -> int:
        return self.start_with({"customer_code": code})

    def start_with(self, variables: dict[str, Any]) -> int:
        return self.start_process(KEY, "sales", {"lead_title": "Pumps", "source": "web", **variables})

    def contact(self, iid: int, username: str = "li_na") -> None:
        self.complete(iid, "Activity_FirstContact", username, {"channel": "phone", "contact_note": "needs pumps"})

    def qualify(self, iid: int) -> None:
        """First contact, then qualified."""
        self.contact(iid)
        self.complete(iid, "Activity_QualifyLead", "li_na", {"qualified": True, "notes": "needs pumps"})

    def quote(self, iid: int, sku: str, quantity: int, valid_days: int = 14) -> dict[str, Any]:
        self.complete(iid, "Activity_PrepareQuote", "li_na",
                      {"lines": [{"item_sku": sku, "quantity": quantity}], "valid_days": valid_days})
        return dict(self.variables(iid)["quote"])

    def accept(self, iid: int) -> None:
        self.complete(iid, "Activity_CustomerAcceptance", "li_na", {"accepted": True})

    def ship(self, iid: int, delivery_in_days: int = 1) -> None:
        today = self.clock.now.date()
        self.complete(iid, "Activity_ShipOrder", "warehouse", {
            "carrier": "SF Express", "tracking_number": "SF123", "shipped_on": today.isoformat(),
            "expected_delivery": (today + timedelta(days=delivery_in_days)).isoformat(),
            "notify_email": "receiving@customer.example"})

    def to_invoice(self, acct: Account, quantity: int = 10) -> int:
        """An instance of acct that is invoiced and waits for the payment."""
        iid = self.start(acct.code)
        self.qualify(iid)
        self.quote(iid, acct.sku, quantity)
        self.accept(iid)
        self.ship(iid)
        flow.run_due_jobs()  # delivery tomorrow: the notice is due at once
        assert self.tasks(iid) == ["Activity_RecordPayment"]
        return iid


@pytest.fixture(scope="module")
def api(world: None) -> FastAPI:
    return create_app()


@pytest.fixture
def desk(api: FastAPI, moving_clock: MovableClock) -> Iterator[Desk]:
    with TestClient(api) as client:
        yield Desk(client, moving_clock)


def mails(reference: str, to: str | None = None) -> list[str]:
    """Subjects of the mails queued under a reference (to one address), oldest first."""
    with transaction() as session:
        stmt = select(OutboxMail.subject).where(OutboxMail.reference == reference).order_by(OutboxMail.id)
        if to is not None:
            stmt = stmt.where(OutboxMail.to_addrs == to)
        return list(session.scalars(stmt))


def balance(acct: Account) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of the account's item."""
    with transaction() as session:
        row = session.scalar(select(StockBalance).where(StockBalance.item_id == acct.item_id,
                                                        StockBalance.warehouse_id == acct.warehouse_id))
        assert row is not None
        return row.on_hand, row.reserved


def tasks_of(iid: int, element_id: str) -> list[tuple[str | None, TaskStatus]]:
    with transaction() as session:
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.element_id == element_id)
                               .order_by(HumanTask.id))
        return [(row.assignee, row.status) for row in rows]


def test_a_lead_runs_to_a_paid_invoice_with_every_record_in_place(desk: Desk) -> None:
    acct = account()
    iid = desk.start(acct.code)
    contact = desk.task(iid, "Activity_FirstContact")
    assert contact["assignee"] == "li_na"  # east, machinery
    assert datetime.fromisoformat(contact["due_at"]) - datetime.fromisoformat(contact["created_at"]) == timedelta(
        hours=2)
    desk.advance(minutes=40)
    desk.qualify(iid)
    quote = desk.quote(iid, acct.sku, 50)
    # strategic, list 130,000: 8% off, 30.8% margin before discount, well inside every limit: no approval
    assert (Decimal(quote["list_total"]), Decimal(quote["amount"])) == (Decimal("130000.00"), Decimal("119600.00"))
    assert quote["status"] == "sent" and desk.tasks(iid) == ["Activity_CustomerAcceptance"]
    desk.accept(iid)
    assert desk.tasks(iid) == ["Activity_ShipOrder"] and balance(acct) == (Decimal("100"), Decimal("50"))
    desk.ship(iid, delivery_in_days=1)
    desk.advance(seconds=1)
    desk.complete(iid, "Activity_RecordPayment", "finance", {"amount": 119600.00, "paid_on": "2026-11-30",
                                                              "reference": "BANK-1"})
    v = desk.variables(iid)
    assert desk.instance(iid)["status"] == "completed"
    with transaction() as session:
        lead = session.get(Lead, v["lead"]["lead_id"])
        assert lead is not None and (lead.status.value, lead.owner) == ("converted", "li_na")
        assert lead.first_contacted_at is not None and v["lead"]["first_contact_minutes"] == 40
        opportunity = session.get(Opportunity, v["opportunity"]["opportunity_id"])
        assert opportunity is not None and opportunity.stage.value == "won"
        stored = session.get(Quote, quote["quote_id"])
        assert stored is not None and stored.status.value == "accepted"
        assert {line.discount_pct for line in stored.lines} == {Decimal("8")}
        order = get_order(session=session, order_id=v["sales_order"]["id"])
        assert (order.total, order.status.value, order.lines[0].delivered_qty) == (Decimal("119600.00"), "invoiced", 50)
        assert get_shipment(session=session, shipment_id=v["shipment"]["shipment_id"]).sales_order_id == order.id
        invoice = get_invoice(session=session, invoice_id=v["invoice"]["id"])
        assert (invoice.status.value, invoice.open_amount, invoice.total) == ("paid", 0, Decimal("119600.00"))
    assert Decimal(v["payment"]["allocated"]) == Decimal("119600.00")
    assert balance(acct) == (Decimal("50"), Decimal("0"))
    assert tasks_of(iid, "Activity_RecordPayment") == [("finance", TaskStatus.COMPLETED)]


def test_a_disqualified_lead_is_closed_with_the_reason(desk: Desk) -> None:
    iid = desk.start(account().code)
    desk.contact(iid)
    done = desk.complete(iid, "Activity_QualifyLead", "li_na", {"qualified": False, "notes": "no budget this year"})
    assert done["instance_status"] == "completed"
    lead_id = desk.variables(iid)["lead"]["lead_id"]
    with transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and (lead.status.value, lead.disqualified_reason) == ("disqualified",
                                                                                      "no budget this year")


def test_a_first_contact_within_2_hours_alerts_nobody_and_records_the_minutes(desk: Desk) -> None:
    iid = desk.start(account().code)
    desk.advance(minutes=119)
    desk.contact(iid)
    desk.advance(hours=3)
    assert mails(desk.instance(iid)["business_key"], SALES_MANAGEMENT) == []
    assert desk.tasks(iid) == ["Activity_QualifyLead"]
    lead = desk.variables(iid)["lead"]
    assert (lead["status"], lead["first_contact_minutes"]) == ("contacted", 119)


def test_a_lead_not_contacted_in_2_hours_alerts_sales_management_and_stays_with_the_owner(desk: Desk) -> None:
    iid = desk.start(account().code)
    key = desk.instance(iid)["business_key"]
    desk.advance(minutes=119)
    assert mails(key, SALES_MANAGEMENT) == []
    desk.advance(minutes=2)
    assert mails(key, SALES_MANAGEMENT) == [f"Lead not contacted within 2 hours: Lead To Cash Test [{key}]"]
    assert tasks_of(iid, "Activity_FirstContact") == [("li_na", TaskStatus.OPEN)]
    desk.advance(minutes=59)
    desk.contact(iid)
    assert desk.tasks(iid) == ["Activity_QualifyLead"] and len(mails(key, SALES_MANAGEMENT)) == 1
    assert desk.variables(iid)["lead"]["first_contact_minutes"] == 180


NEW_COMPANY = {"customer_code": "", "contact_name": "Ms. Xu", "phone": "+86 20 5555 0101",
               "email": "xu@nova.example", "region": "south", "industry": "electronics", "source": "trade_show"}


def test_a_lead_for_a_new_company_is_assigned_by_its_region_and_qualifying_creates_the_customer(desk: Desk) -> None:
    company = f"Nova Robotics {uuid.uuid4().hex[:8]}"
    iid = desk.start_with({**NEW_COMPANY, "company_name": company})
    lead = desk.variables(iid)["lead"]
    assert (lead["company"], lead["region"], lead["owner"], lead["customer_id"]) == (company, "south", "wang_wei", None)
    assert "customer" not in desk.variables(iid)
    assert tasks_of(iid, "Activity_FirstContact") == [("wang_wei", TaskStatus.OPEN)]
    with transaction() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        facts = dict(instance_facts(instance, None, Formatter("en"), lambda text: text))
    assert (facts["Company"], facts["Contact"], facts["Region"], facts["Industry"]) == (
        company, "Ms. Xu · +86 20 5555 0101 · xu@nova.example", "south", "electronics")
    desk.contact(iid, "wang_wei")
    desk.complete(iid, "Activity_QualifyLead", "wang_wei", {"qualified": True})
    v = desk.variables(iid)
    assert (v["customer"]["name"], v["customer"]["region"]) == (company, "south")
    assert v["opportunity"]["customer_code"] == v["customer"]["code"]
    assert desk.tasks(iid) == ["Activity_PrepareQuote"] and desk.task(iid, "Activity_PrepareQuote")["assignee"] == (
        "wang_wei")
    with transaction() as session:
        customer = session.scalar(select(Customer).where(Customer.name == company))
        assert customer is not None and customer.industry == "electronics"
        assert [(c.name, c.email, c.phone) for c in customer.contacts] == [("Ms. Xu", "xu@nova.example",
                                                                            "+86 20 5555 0101")]
        stored = session.get(Lead, lead["lead_id"])
        assert stored is not None and (stored.status.value, stored.customer_id) == ("qualified", customer.id)


def test_a_lead_without_a_customer_code_needs_the_new_company(desk: Desk) -> None:
    body = {"process_key": KEY, "variables": {"lead_title": "Pumps", "source": "web", "company_name": "Nova"}}
    resp = desk.client.post("/api/v1/process-instances", json=body, headers=desk.headers("sales"))
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json()["errors"]} == {"contact_name", "region", "industry"}


@pytest.mark.parametrize(("tier", "rating", "limit", "cost", "quantity", "reason", "finance_mails"), [
    ("regular", "B", "1000000.00", "1800.00", 30, "amount", 0),  # 78,000 (3% off: 75,660) > 50,000
    ("regular", "B", "1000000.00", "2400.00", 5, "margin_floor", 0),  # 7.7% margin
    ("regular", "B", "20000.00", "1800.00", 10, "credit_limit", 0),  # 26,000 over a 20,000 limit
    ("regular", "C", "1000000.00", "1800.00", 30, "amount", 1),  # large and weak credit: Finance hears of it
    ("regular", "D", "20000.00", "1800.00", 10, "credit_limit", 1),
    ("regular", "C", "1000000.00", "2400.00", 5, "margin_floor", 0),  # weak credit, but a small order
])
def test_sales_management_decides_when_a_rule_asks_and_a_rejection_sends_the_quote_back(
        desk: Desk, tier: str, rating: str, limit: str, cost: str, quantity: int, reason: str,
        finance_mails: int) -> None:
    acct = account(tier=tier, rating=rating, limit=limit, cost=cost)
    iid = desk.start(acct.code)
    desk.qualify(iid)
    quote = desk.quote(iid, acct.sku, quantity)
    approval = desk.task(iid, "Activity_DirectorApproval")
    assert approval["candidate_group"] == "sales_management" and desk.variables(iid)["approval_reason"] == reason
    assert mails(quote["number"], FINANCE) == (
        [f"Large order from a weak-credit customer: Lead To Cash Test [{quote['number']}]"] * finance_mails)
    desk.complete(iid, "Activity_DirectorApproval", "director", {"decision": "reject", "comment": "too cheap"})
    assert desk.tasks(iid) == ["Activity_PrepareQuote"] and desk.task(iid, "Activity_PrepareQuote")["assignee"] == (
        "li_na")
    with transaction() as session:
        withdrawn = session.get(Quote, quote["quote_id"])
        assert withdrawn is not None and withdrawn.status.value == "expired"


def test_the_approval_shows_margin_credit_exposure_and_payment_history(desk: Desk) -> None:
    acct = account(tier="regular")
    iid = desk.start(acct.code)
    desk.qualify(iid)
    desk.quote(iid, acct.sku, 30)
    with transaction() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        facts = dict(instance_facts(instance, None, Formatter("en"), lambda text: text))
    assert (facts["Quote amount"], facts["Margin"], facts["Approval reason"]) == ("CN¥78,000.00", "30.77 %", "amount")
    assert facts["Credit exposure (with this quote)"] == "CN¥0.00 + CN¥78,000.00"
    assert facts["Credit limit"] == "CN¥1,000,000.00"
    assert facts["Payment history"] == "– days to pay on average, 0 late, 0 overdue now"


def test_an_approved_quote_goes_to_the_customer(desk: Desk) -> None:
    acct = account(tier="regular")
    iid = desk.start(acct.code)
    desk.qualify(iid)
    desk.quote(iid, acct.sku, 30)
    desk.complete(iid, "Activity_DirectorApproval", "director", {"decision": "approve"})
    assert desk.tasks(iid) == ["Activity_CustomerAcceptance"] and desk.variables(iid)["quote"]["status"] == "sent"


def test_an_unanswered_quote_expires_and_the_owner_follows_up(desk: Desk) -> None:
    acct = account()
    iid = desk.start(acct.code)
    desk.qualify(iid)
    quote = desk.quote(iid, acct.sku, 5, valid_days=3)
    desk.advance(days=3)  # still valid on its last day
    assert desk.tasks(iid) == ["Activity_CustomerAcceptance"]
    desk.advance(days=1)
    assert desk.tasks(iid) == ["Activity_QuoteFollowUp"] and desk.task(iid, "Activity_QuoteFollowUp")["assignee"] == (
        "li_na")
    assert tasks_of(iid, "Activity_CustomerAcceptance")[0][1] != TaskStatus.OPEN
    desk.complete(iid, "Activity_QuoteFollowUp", "li_na", {"follow_up_outcome": "close",
                                                           "follow_up_note": "bought elsewhere"})
    assert desk.instance(iid)["status"] == "completed"
    opportunity_id = desk.variables(iid)["opportunity"]["opportunity_id"]
    with transaction() as session:
        expired = session.get(Quote, quote["quote_id"])
        opportunity = session.get(Opportunity, opportunity_id)
        assert expired is not None and expired.status.value == "expired"
        assert opportunity is not None and opportunity.stage.value == "lost"


def test_an_expired_quote_can_be_quoted_again(desk: Desk) -> None:
    acct = account()
    iid = desk.start(acct.code)
    desk.qualify(iid)
    desk.quote(iid, acct.sku, 5, valid_days=1)
    desk.advance(days=2)
    desk.complete(iid, "Activity_QuoteFollowUp", "li_na", {"follow_up_outcome": "requote",
                                                           "follow_up_note": "wants a new date"})
    assert desk.tasks(iid) == ["Activity_PrepareQuote"]


def test_a_shortage_asks_procurement_and_ships_when_the_goods_arrive(desk: Desk) -> None:
    acct = account(stock="10")
    iid = desk.start(acct.code)
    desk.qualify(iid)
    desk.quote(iid, acct.sku, 25)
    desk.accept(iid)
    v = desk.variables(iid)
    assert desk.tasks(iid) == [] and v["reservation"]["fully_reserved"] is False
    [job] = flow.jobs_of(iid, "message")
    order_number = v["sales_order"]["number"]
    assert job.payload["name"] == "purchase_request"
    sent = job.payload["payload"]
    assert (sent["order_number"], sent["sales_order_id"], sent["origin_business_key"]) == (
        order_number, v["sales_order"]["id"], desk.instance(iid)["business_key"])
    assert [(s["item_sku"], Decimal(s["quantity"])) for s in sent["shortfall"]] == [(acct.sku, Decimal("15"))]
    assert job.payload["correlation"] == {"order_number": order_number}
    _procurement_started_if_deployed(job)

    with transaction() as session:  # procurement's goods receipt, played by hand
        receive_stock(session=session, item_id=acct.item_id, warehouse_id=acct.warehouse_id,
                      quantity=Decimal("15"), reference="PO test", actor=ACTOR)
    answer = desk.send("goods_received", {"correlation": {"order_number": order_number},
                                          "payload": {"order_number": order_number, "purchase_order_number": "PO-1"}})
    assert (answer["instance_id"], answer["element_id"]) == (iid, "Event_GoodsReceived")
    assert desk.tasks(iid) == ["Activity_ShipOrder"] and balance(acct) == (Decimal("25"), Decimal("25"))
    desk.ship(iid)
    assert balance(acct) == (Decimal("0"), Decimal("0"))


def test_goods_that_still_fall_short_ask_procurement_again_for_the_rest(desk: Desk) -> None:
    acct = account(stock="10")
    iid = desk.start(acct.code)
    desk.qualify(iid)
    desk.quote(iid, acct.sku, 25)
    desk.accept(iid)
    order_number = desk.variables(iid)["sales_order"]["number"]
    with transaction() as session:
        receive_stock(session=session, item_id=acct.item_id, warehouse_id=acct.warehouse_id,
                      quantity=Decimal("5"), reference="PO partial", actor=ACTOR)
    desk.send("goods_received", {"correlation": {"order_number": order_number},
                                 "payload": {"order_number": order_number, "purchase_order_number": "PO-2"}})
    first, second = flow.jobs_of(iid, "message")
    assert [(s["item_sku"], Decimal(s["quantity"])) for s in second.payload["payload"]["shortfall"]] == [
        (acct.sku, Decimal("10"))]
    assert desk.tasks(iid) == [] and first.id < second.id


def _procurement_started_if_deployed(job: Job) -> None:
    """When processes/procurement.bpmn starts by purchase_request, the message job starts it."""
    with transaction() as session:
        deployed = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "procurement"))
    flow.run_due_jobs()
    if deployed is None:
        return
    with transaction() as session:
        started = session.scalars(select(ProcessInstance).join(ProcessDefinition).where(
            ProcessDefinition.key == "procurement", ProcessInstance.started_at >= job.created_at))
        assert any(i.variables.get("order_number") == job.payload["payload"]["order_number"] for i in started)


def test_the_customer_hears_the_day_before_delivery(desk: Desk) -> None:
    acct = account()
    iid = desk.start(acct.code)
    desk.qualify(iid)
    desk.quote(iid, acct.sku, 5)
    desk.accept(iid)
    desk.ship(iid, delivery_in_days=4)
    order_number = desk.variables(iid)["sales_order"]["number"]
    desk.advance(days=2)
    assert mails(order_number) == [] and "invoice" not in desk.variables(iid)
    desk.advance(days=1)
    assert mails(order_number, "receiving@customer.example") == [f"Your delivery arrives tomorrow [{order_number}]"]
    assert desk.tasks(iid) == ["Activity_RecordPayment"] and "invoice" in desk.variables(iid)


def test_the_bank_message_settles_the_invoice(desk: Desk) -> None:
    iid = desk.to_invoice(account())
    invoice = desk.variables(iid)["invoice"]
    answer = desk.send("payment_received", {
        "correlation": {"invoice_number": invoice["number"]},
        "payload": {"invoice_number": invoice["number"], "amount": str(invoice["total"]), "paid_on": "2026-11-20",
                    "reference": "BANK-4711"}})
    assert (answer["instance_id"], answer["element_id"]) == (iid, "Event_PaymentReceived")
    assert desk.instance(iid)["status"] == "completed"
    assert tasks_of(iid, "Activity_RecordPayment")[0][1] != TaskStatus.OPEN
    with transaction() as session:
        stored = get_invoice(session=session, invoice_id=invoice["id"])
        assert (stored.status.value, stored.open_amount) == ("paid", 0)


def test_a_partial_payment_keeps_the_invoice_waiting(desk: Desk) -> None:
    iid = desk.to_invoice(account())
    desk.complete(iid, "Activity_RecordPayment", "finance", {"amount": 1000.00, "paid_on": "2026-11-10"})
    assert desk.tasks(iid) == ["Activity_RecordPayment"]
    assert desk.variables(iid)["invoice_state"]["status"] == "partially_paid"


def test_an_overdue_invoice_reaches_the_owner_and_finance_manager_weekly_until_paid(desk: Desk) -> None:
    iid = desk.to_invoice(account())
    invoice = desk.variables(iid)["invoice"]
    overdue_at = datetime.combine(date.fromisoformat(invoice["due_date"]) + timedelta(days=5),
                                  datetime.min.time(), tzinfo=desk.clock.now.tzinfo)
    desk.advance(seconds=(overdue_at - desk.clock.now).total_seconds() - 60)
    assert tasks_of(iid, "Activity_ChasePayment") == [] and mails(invoice["number"]) == []
    desk.advance(minutes=2)
    assert tasks_of(iid, "Activity_ChasePayment") == [("wang_wei", TaskStatus.OPEN)]
    assert mails(invoice["number"], FINANCE_MANAGER) == [f"Overdue invoice {invoice['number']} of Lead To Cash Test"]
    desk.complete(iid, "Activity_ChasePayment", "wang_wei", {"chase_note": "pays on Friday"})
    desk.advance(days=7)
    assert [s for _, s in tasks_of(iid, "Activity_ChasePayment")] == [TaskStatus.COMPLETED, TaskStatus.OPEN]
    assert len(mails(invoice["number"], FINANCE_MANAGER)) == 2
    desk.complete(iid, "Activity_RecordPayment", "finance", {"amount": float(invoice["total"]),
                                                             "paid_on": desk.clock.now.date().isoformat()})
    assert desk.instance(iid)["status"] == "completed"
    assert tasks_of(iid, "Activity_ChasePayment")[-1][1] != TaskStatus.OPEN  # the open chase is withdrawn
    desk.advance(days=7)
    assert len(mails(invoice["number"], FINANCE_MANAGER)) == 2
