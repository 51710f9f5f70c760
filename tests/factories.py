"""Small factories for domain data, built through the real services so every object is valid."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.crm.schemas import CustomerCreate
from domain.crm.service import create_customer
from domain.inventory.models import Item, StockMove, Warehouse
from domain.inventory.schemas import ItemCreate, WarehouseCreate
from domain.inventory.service import create_item, create_warehouse, receive_stock
from domain.sales.models import SalesOrder
from domain.sales.schemas import SalesOrderLineCreate
from domain.sales.service import create_sales_order

ACTOR = "tester"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_customer(session: Session, **overrides: Any) -> Customer:
    fields: dict[str, Any] = {"name": "Acme Trading", "credit_limit": Decimal("100000.00")} | overrides
    return create_customer(session=session, data=CustomerCreate(**fields))


def make_item(session: Session, **overrides: Any) -> Item:
    fields: dict[str, Any] = {
        "sku": _unique("SKU"),
        "name": "Widget",
        "unit_cost": Decimal("6.00"),
        "list_price": Decimal("10.00"),
    } | overrides
    return create_item(session=session, data=ItemCreate(**fields))


def make_warehouse(session: Session, **overrides: Any) -> Warehouse:
    fields: dict[str, Any] = {"code": _unique("WH"), "name": "Main warehouse"} | overrides
    return create_warehouse(session=session, data=WarehouseCreate(**fields))


def receive(session: Session, item: Item, warehouse: Warehouse, quantity: Decimal | str) -> StockMove:
    return receive_stock(
        session=session,
        item_id=item.id,
        warehouse_id=warehouse.id,
        quantity=Decimal(quantity),
        reference="test receipt",
        actor=ACTOR,
    )


def make_order(
    session: Session,
    customer: Customer,
    *lines: tuple[Item, Decimal | str] | tuple[Item, Decimal | str, Decimal | str],
    business_key: str | None = None,
) -> SalesOrder:
    """An order of (item, quantity[, unit_price]) lines; the price defaults to the item's list price."""
    return create_sales_order(
        session=session,
        customer_code=customer.code,
        lines=[
            SalesOrderLineCreate(
                item_sku=line[0].sku,
                quantity=Decimal(line[1]),
                unit_price=Decimal(line[2]) if len(line) > 2 else line[0].list_price,
            )
            for line in lines
        ],
        business_key=business_key,
        actor=ACTOR,
    )
