"""Quotes and sales orders (#3): read access; processes change them through the sales.* operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from domain.crm.service import get_customer_by_code
from domain.sales import quotes
from domain.sales.models import OrderStatus, QuoteStatus
from domain.sales.schemas import QuoteRead, SalesOrderRead
from domain.sales.service import get_order_by_number, list_orders
from web.deps import ApiUser, SessionDep

router = APIRouter(tags=["sales"])


@router.get("/quotes", response_model=list[QuoteRead])
def list_quotes(session: SessionDep, user: ApiUser, q: str = "", status: QuoteStatus | None = None,
                customer_code: str | None = None, limit: int = 100, offset: int = 0) -> list[Any]:
    """Quotes, newest first, searched by number or customer and filtered by status and customer."""
    customer_id = get_customer_by_code(session=session, code=customer_code).id if customer_code else None
    return quotes.list_quotes(session=session, q=q, status=status, customer_id=customer_id,
                              limit=min(max(limit, 1), 500), offset=max(offset, 0))


@router.get("/quotes/{number}", response_model=QuoteRead)
def get_quote(number: str, session: SessionDep, user: ApiUser) -> Any:
    """One quote with its lines, totals and estimated margin."""
    return quotes.get_quote_by_number(session=session, number=number)


@router.get("/sales-orders", response_model=list[SalesOrderRead])
def list_sales_orders(session: SessionDep, user: ApiUser, customer_code: str | None = None,
                      status: OrderStatus | None = None, business_key: str | None = None, limit: int = 100,
                      offset: int = 0) -> list[Any]:
    """Sales orders, newest first, with their derived status; a status filter applies to the page read."""
    customer_id = get_customer_by_code(session=session, code=customer_code).id if customer_code else None
    orders = list_orders(session=session, customer_id=customer_id, business_key=business_key,
                         limit=min(max(limit, 1), 500), offset=max(offset, 0))
    return [o for o in orders if status is None or o.status is status]


@router.get("/sales-orders/{number}", response_model=SalesOrderRead)
def get_sales_order(number: str, session: SessionDep, user: ApiUser) -> Any:
    """One sales order with its lines and derived status."""
    return get_order_by_number(session=session, number=number)
