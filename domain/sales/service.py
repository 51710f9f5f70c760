"""Sales operations: create, confirm and find orders. Services flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.service import get_customer_by_code
from domain.errors import InvalidInput, NotFound
from domain.inventory.service import get_items_by_sku
from domain.sales.models import SalesOrder, SalesOrderLine
from domain.sales.schemas import SalesOrderLineCreate


def create_sales_order(
    *,
    session: Session,
    customer_code: str,
    lines: Sequence[SalesOrderLineCreate],
    business_key: str | None = None,
    actor: str,
) -> SalesOrder:
    """Create a draft order in the customer's currency, numbered "SO-000123"."""
    customer = get_customer_by_code(session=session, code=customer_code)
    if not lines:
        raise InvalidInput("a sales order needs at least one line")
    items = get_items_by_sku(session=session, skus=[line.item_sku for line in lines])
    inactive = sorted(sku for sku, item in items.items() if not item.active)
    if inactive:
        raise InvalidInput(f"items no longer sold: {', '.join(inactive)}")
    order = SalesOrder(
        # Placeholder until the id exists: the id is the one counter safe under concurrent inserts.
        number=f"pending-{uuid.uuid4().hex}",
        customer=customer,
        currency=customer.currency,
        business_key=business_key,
        created_by=actor,
        lines=[
            SalesOrderLine(
                item=items[line.item_sku],
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                delivered_qty=Decimal("0.000"),
                invoiced_qty=Decimal("0.000"),
            )
            for line in lines
        ],
    )
    session.add(order)
    session.flush()
    order.number = f"SO-{order.id:06d}"
    session.flush()
    return order


def get_order(*, session: Session, order_id: int, for_update: bool = False) -> SalesOrder:
    """The order with this id; for_update locks its row (and re-reads it) until the transaction ends."""
    query = select(SalesOrder).where(SalesOrder.id == order_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    order = session.scalar(query)
    if order is None:
        raise NotFound(f"sales order {order_id} not found")
    return order


def get_order_by_number(*, session: Session, number: str) -> SalesOrder:
    """The order with this number."""
    order = session.scalar(select(SalesOrder).where(SalesOrder.number == number))
    if order is None:
        raise NotFound(f"sales order {number!r} not found")
    return order


def list_orders(
    *,
    session: Session,
    customer_id: int | None = None,
    business_key: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[SalesOrder]:
    """Orders, newest first, optionally one customer's or one process instance's."""
    query = select(SalesOrder).order_by(SalesOrder.id.desc()).limit(limit).offset(offset)
    if customer_id is not None:
        query = query.where(SalesOrder.customer_id == customer_id)
    if business_key is not None:
        query = query.where(SalesOrder.business_key == business_key)
    return list(session.scalars(query))


def confirm_order(*, session: Session, order_id: int) -> SalesOrder:
    """Mark the order accepted (draft -> confirmed); confirming twice keeps the first time."""
    order = get_order(session=session, order_id=order_id, for_update=True)
    if order.confirmed_at is None:
        order.confirmed_at = clock.now()
        session.flush()
    return order
