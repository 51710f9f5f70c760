"""Quotes: create at list price, apply a discount, send, the customer's answer, and conversion to a sales order.

Services flush, never commit.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.crm.service import get_customer_by_code
from domain.errors import Conflict, InvalidInput, NotFound
from domain.inventory.service import get_items_by_sku
from domain.sales.models import Quote, QuoteLine, QuoteStatus, SalesOrder
from domain.sales.schemas import QuoteCreate, SalesOrderLineCreate
from domain.sales.service import create_sales_order, get_order

# Which statuses each status may be reached from; a repeated step (a retried job) is a no-op, not an error.
ALLOWED_FROM: dict[QuoteStatus, frozenset[QuoteStatus]] = {
    QuoteStatus.SENT: frozenset({QuoteStatus.DRAFT}),
    QuoteStatus.ACCEPTED: frozenset({QuoteStatus.SENT}),
    QuoteStatus.REJECTED: frozenset({QuoteStatus.SENT}),
    QuoteStatus.EXPIRED: frozenset({QuoteStatus.DRAFT, QuoteStatus.SENT}),
}


def create_quote(*, session: Session, data: QuoteCreate, actor: str) -> Quote:
    """A draft quote numbered "Q-000123" at the items' list prices and costs, valid for valid_days unless given."""
    customer = get_customer_by_code(session=session, code=data.customer_code)
    items = get_items_by_sku(session=session, skus=[line.item_sku for line in data.lines])
    inactive = sorted(sku for sku, item in items.items() if not item.active)
    if inactive:
        raise InvalidInput(f"items no longer sold: {', '.join(inactive)}", code="item_inactive")
    today = clock.now().date()
    valid_until = data.valid_until or today + timedelta(days=data.valid_days)
    if valid_until < today:
        raise InvalidInput("a quote cannot be valid only until a past day", code="valid_until_past")
    quote = Quote(
        # Placeholder until the id exists: the id is the one counter safe under concurrent inserts.
        number=f"pending-{uuid.uuid4().hex}",
        customer=customer, currency=customer.currency, status=QuoteStatus.DRAFT, valid_until=valid_until,
        opportunity_id=data.opportunity_id, business_key=data.business_key, note=data.note, created_by=actor,
        lines=[QuoteLine(item=items[line.item_sku], quantity=line.quantity, list_price=items[line.item_sku].list_price,
                         unit_cost=items[line.item_sku].unit_cost, discount_pct=line.discount_pct)
               for line in data.lines],
    )
    session.add(quote)
    session.flush()
    quote.number = f"Q-{quote.id:06d}"
    session.flush()
    return quote


def get_quote(*, session: Session, quote_id: int, for_update: bool = False) -> Quote:
    """The quote with this id; for_update locks its row (and re-reads it) until the transaction ends."""
    query = select(Quote).where(Quote.id == quote_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    quote = session.scalar(query)
    if quote is None:
        raise NotFound(f"quote {quote_id} not found", code="quote_not_found")
    return quote


def get_quote_by_number(*, session: Session, number: str) -> Quote:
    """The quote with this number."""
    quote = session.scalar(select(Quote).where(Quote.number == number))
    if quote is None:
        raise NotFound(f"quote {number!r} not found", code="quote_not_found")
    return quote


def quote_query(*, q: str = "", status: QuoteStatus | None = None, customer_id: int | None = None,
                opportunity_id: int | None = None) -> Select[Quote]:
    """The filtered quotes, newest first (q matches the quote number or the customer's code or name)."""
    query = select(Quote).order_by(Quote.id.desc())
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.join(Customer, Customer.id == Quote.customer_id).where(or_(
            func.lower(Quote.number).like(pattern), func.lower(Customer.code).like(pattern),
            func.lower(Customer.name).like(pattern)))
    if status is not None:
        query = query.where(Quote.status == status)
    if customer_id is not None:
        query = query.where(Quote.customer_id == customer_id)
    if opportunity_id is not None:
        query = query.where(Quote.opportunity_id == opportunity_id)
    return query


def list_quotes(*, session: Session, q: str = "", status: QuoteStatus | None = None, customer_id: int | None = None,
                opportunity_id: int | None = None, limit: int = 100, offset: int = 0) -> list[Quote]:
    """Quotes, newest first, filtered by search text, status, customer and opportunity."""
    query = quote_query(q=q, status=status, customer_id=customer_id, opportunity_id=opportunity_id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def apply_quote_discount(*, session: Session, quote_id: int, discount_pct: Decimal) -> Quote:
    """Set the same discount on every line of a draft quote (the process computes it from its discount policy)."""
    if not Decimal(0) <= discount_pct <= Decimal(100) or discount_pct != discount_pct.quantize(Decimal("0.01")):
        raise InvalidInput("a discount is a percentage from 0 to 100 with at most two places", code="bad_discount")
    quote = get_quote(session=session, quote_id=quote_id, for_update=True)
    if quote.status is not QuoteStatus.DRAFT:
        raise Conflict(f"quote {quote.number} is {quote.status.value}; only a draft takes a discount",
                       code="quote_not_draft")
    for line in quote.lines:
        line.discount_pct = discount_pct
    session.flush()
    return quote


def mark_quote_sent(*, session: Session, quote_id: int) -> Quote:
    """The quote went to the customer (draft -> sent)."""
    quote = _move(session, quote_id, QuoteStatus.SENT)
    if quote.sent_at is None:
        quote.sent_at = clock.now()
    session.flush()
    return quote


def mark_quote_accepted(*, session: Session, quote_id: int) -> Quote:
    """The customer accepted a sent quote that is still valid (sent -> accepted)."""
    quote = get_quote(session=session, quote_id=quote_id, for_update=True)
    if quote.status is QuoteStatus.SENT and clock.now().date() > quote.valid_until:
        raise Conflict(f"quote {quote.number} was valid until {quote.valid_until.isoformat()}", code="quote_expired")
    return _answer(session, quote_id, QuoteStatus.ACCEPTED)


def mark_quote_rejected(*, session: Session, quote_id: int) -> Quote:
    """The customer declined the quote (sent -> rejected)."""
    return _answer(session, quote_id, QuoteStatus.REJECTED)


def mark_quote_expired(*, session: Session, quote_id: int) -> Quote:
    """Nobody answered in time (draft or sent -> expired)."""
    return _answer(session, quote_id, QuoteStatus.EXPIRED)


def create_order_from_quote(*, session: Session, quote_id: int, actor: str, business_key: str | None = None
                            ) -> SalesOrder:
    """A draft sales order with the accepted quote's lines, prices and discounts; converting twice returns it."""
    quote = get_quote(session=session, quote_id=quote_id, for_update=True)
    if quote.sales_order_id is not None:
        return get_order(session=session, order_id=quote.sales_order_id)
    if quote.status is not QuoteStatus.ACCEPTED:
        raise Conflict(f"quote {quote.number} is {quote.status.value}; only an accepted quote becomes an order",
                       code="quote_not_accepted")
    order = create_sales_order(
        session=session, customer_code=quote.customer.code, actor=actor,
        business_key=business_key or quote.business_key,
        lines=[SalesOrderLineCreate(item_sku=line.item.sku, quantity=line.quantity, unit_price=line.list_price,
                                    discount_pct=line.discount_pct) for line in quote.lines],
    )
    quote.sales_order_id = order.id
    session.flush()
    return order


def is_past_valid_until(quote: Quote, today: date | None = None) -> bool:
    """Whether an open (draft or sent) quote has outlived its validity."""
    return quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT) and (today or clock.now().date()) > quote.valid_until


def _move(session: Session, quote_id: int, target: QuoteStatus) -> Quote:
    quote = get_quote(session=session, quote_id=quote_id, for_update=True)
    if quote.status is target:
        return quote
    if quote.status not in ALLOWED_FROM[target]:
        raise Conflict(f"quote {quote.number} is {quote.status.value} and cannot become {target.value}",
                       code="quote_status_conflict")
    quote.status = target
    return quote


def _answer(session: Session, quote_id: int, target: QuoteStatus) -> Quote:
    quote = _move(session, quote_id, target)
    if quote.answered_at is None:
        quote.answered_at = clock.now()
    session.flush()
    return quote
