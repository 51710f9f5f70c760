"""Factories for leads, opportunities and quotes, built through the real services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain.crm import pipeline
from domain.crm.models import Customer, Lead, Opportunity
from domain.crm.schemas import LeadCreate, OpportunityCreate
from domain.inventory.models import Item
from domain.sales import quotes
from domain.sales.models import Quote
from domain.sales.schemas import QuoteCreate, QuoteLineCreate
from tests.factories import ACTOR


def make_lead(session: Session, **overrides: Any) -> Lead:
    fields: dict[str, Any] = {"source": "web", "company": f"Prospect {uuid.uuid4().hex[:8]}",
                              "contact_name": "Ms. Wu", "region": "east", "industry": "chemicals"} | overrides
    return pipeline.create_lead(session=session, data=LeadCreate(**fields))


def make_opportunity(session: Session, customer: Customer, **overrides: Any) -> Opportunity:
    fields: dict[str, Any] = {"customer_code": customer.code, "title": "Pumps for line 2",
                              "amount": Decimal("10000.00")} | overrides
    return pipeline.create_opportunity(session=session, data=OpportunityCreate(**fields))


def make_quote(session: Session, customer: Customer,
               *lines: tuple[Item, Decimal | str] | tuple[Item, Decimal | str, Decimal | str],
               **overrides: Any) -> Quote:
    """A draft quote of (item, quantity[, discount %]) lines at the items' list prices."""
    data = QuoteCreate(customer_code=customer.code, lines=[
        QuoteLineCreate(item_sku=line[0].sku, quantity=Decimal(line[1]),
                        discount_pct=Decimal(line[2]) if len(line) > 2 else Decimal("0"))
        for line in lines], **overrides)
    return quotes.create_quote(session=session, data=data, actor=ACTOR)


def make_account(session: Session, **customer: Any) -> dict[str, Any]:
    """A customer with the whole story: a contact, a qualified lead and its opportunity, a follow-up, a quote
    accepted and turned into a half-shipped order of an item with stock left. Returns the objects by name."""
    from domain.crm import service
    from domain.crm.models import ContactRole
    from domain.crm.schemas import ContactCreate, FollowUpCreate
    from domain.inventory.service import reserve_for_order, ship_order
    from tests.factories import make_customer, make_item, make_warehouse, receive

    tag = uuid.uuid4().hex[:8]
    account = make_customer(session, name=f"Account {tag}", **customer)
    service.add_contact(session=session, customer_id=account.id, data=ContactCreate(
        name=f"Receiver {tag}", phone="+86 21 5555 0000", roles=[ContactRole.RECEIVING, ContactRole.FINANCE]))
    lead = make_lead(session, company=f"Lead {tag}")
    opportunity = pipeline.qualify_lead(session=session, lead_id=lead.id, title=f"Deal {tag}",
                                        amount=Decimal("5000.00"), customer_code=account.code)
    service.record_follow_up(session=session, by="sales", data=FollowUpCreate(
        customer_code=account.code, note=f"Visited {tag}"))
    item = make_item(session, sku=f"PUMP-{tag}", name=f"Pump {tag}", list_price=Decimal("100.00"),
                     unit_cost=Decimal("60.00"))
    receive(session, item, make_warehouse(session), "7")
    quote = make_quote(session, account, (item, "10", "5"), opportunity_id=opportunity.id)
    quotes.mark_quote_sent(session=session, quote_id=quote.id)
    quotes.mark_quote_accepted(session=session, quote_id=quote.id)
    order = quotes.create_order_from_quote(session=session, quote_id=quote.id, actor=ACTOR)
    reserve_for_order(session=session, order_id=order.id)
    ship_order(session=session, order_id=order.id, actor=ACTOR)
    return {"customer": account, "lead": lead, "opportunity": opportunity, "item": item, "quote": quote,
            "order": order, "tag": tag}
