"""Quotes and sales orders (#3): filtered lists and detail pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.sales import quotes
from domain.sales.models import OrderStatus, Quote, QuoteStatus, SalesOrder
from domain.sales.service import get_order_by_number
from web.deps import SessionDep
from web.pages.common import UserDep, page
from web.pages.customers import PAGE_SIZE, list_context, paged, parse_enum

router = APIRouter()
# An order's status is derived from its lines, not stored: a status filter looks at this many newest orders.
STATUS_WINDOW = 1000


@router.get("/quotes", response_class=HTMLResponse)
def quote_list(request: Request, session: SessionDep, user: UserDep, q: str = "", status: str = "",
               page_no: int = 1) -> HTMLResponse:
    """Quotes, newest first, searched by number or customer, filtered by status."""
    rows, more = paged(session, quotes.quote_query(q=q, status=parse_enum(QuoteStatus, status)), page_no)
    filters = {"q": q.strip(), "status": status}
    return page(request, "quotes.html", list_context(rows, more, page_no, "/quotes", filters) | {
        "statuses": [s.value for s in QuoteStatus]}, session=session, user=user)


@router.get("/quotes/{number}", response_class=HTMLResponse)
def quote_page(request: Request, number: str, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One quote: lines with list price, discount and net; totals and estimated margin."""
    quote = quotes.get_quote_by_number(session=session, number=number)
    return page(request, "quote.html", list_context([], False, 1, "/quotes", {}) | {
        "quote": quote, "past_valid_until": quotes.is_past_valid_until(quote)}, session=session, user=user)


def _order_query(session: Session, q: str, customer: str) -> list[SalesOrder]:
    query = select(SalesOrder).order_by(SalesOrder.id.desc())
    if q.strip() or customer.strip():
        query = query.join(Customer, Customer.id == SalesOrder.customer_id)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(SalesOrder.number).like(pattern), func.lower(Customer.name).like(pattern),
                                func.lower(SalesOrder.business_key).like(pattern)))
    if customer.strip():
        query = query.where(Customer.code == customer.strip())
    return list(session.scalars(query.limit(STATUS_WINDOW)))


@router.get("/sales-orders", response_class=HTMLResponse)
def order_list(request: Request, session: SessionDep, user: UserDep, q: str = "", status: str = "",
               customer: str = "", page_no: int = 1) -> HTMLResponse:
    """Sales orders, newest first, with their derived status; searched by number, customer or business key."""
    wanted = parse_enum(OrderStatus, status)
    orders = [o for o in _order_query(session, q, customer) if wanted is None or o.status is wanted]
    start = (max(page_no, 1) - 1) * PAGE_SIZE
    filters = {"q": q.strip(), "status": status, "customer": customer.strip()}
    return page(request, "orders.html", list_context(
        orders[start:start + PAGE_SIZE], len(orders) > start + PAGE_SIZE, page_no, "/sales-orders", filters) | {
        "statuses": [s.value for s in OrderStatus]}, session=session, user=user)


@router.get("/sales-orders/{number}", response_class=HTMLResponse)
def order_page(request: Request, number: str, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One sales order: lines with ordered, delivered and invoiced quantities."""
    order = get_order_by_number(session=session, number=number)
    quote = session.scalar(select(Quote).where(Quote.sales_order_id == order.id))
    return page(request, "order.html", list_context([], False, 1, "/sales-orders", {}) | {
        "order": order, "quote": quote}, session=session, user=user)
