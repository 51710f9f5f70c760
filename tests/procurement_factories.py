"""Factories for procurement data, built through the real services (suppliers, approved requests, orders)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain.inventory.models import Item, Warehouse
from domain.procurement import orders, service
from domain.procurement.models import Decision, PurchaseOrder, PurchaseRequest, Supplier
from domain.procurement.schemas import ApprovalCreate, PurchaseRequestCreate, ReceiptLineCreate, SupplierCreate
from tests.factories import ACTOR


def make_supplier(session: Session, *offers: tuple[Item, Decimal | str], **overrides: Any) -> Supplier:
    """A supplier (lead time 7 days by default) offering each (item, unit price)."""
    fields: dict[str, Any] = {"code": f"SUP-{uuid.uuid4().hex[:8]}", "name": "Parts Ltd", "lead_time_days": 7}
    supplier = service.create_supplier(session=session, data=SupplierCreate(**(fields | overrides)))
    for item, price in offers:
        service.set_supplier_item(session=session, supplier_id=supplier.id, item_id=item.id, unit_price=Decimal(price))
    return supplier


def make_request(session: Session, item: Item, quantity: Decimal | str, **overrides: Any) -> PurchaseRequest:
    data = PurchaseRequestCreate(item_sku=item.sku, quantity=Decimal(quantity), **overrides)
    return service.create_purchase_request(session=session, data=data, actor=ACTOR)


def approve(session: Session, request: PurchaseRequest) -> PurchaseRequest:
    """Approve every step the request needs."""
    while request.next_step is not None:
        data = ApprovalCreate(step=request.next_step, decision=Decision.APPROVED)
        request = service.record_approval(session=session, request_id=request.id, data=data, actor="boss")
    return request


def make_purchase_order(
    session: Session,
    supplier: Supplier,
    warehouse: Warehouse,
    *lines: tuple[Item, Decimal | str],
    order_date: date | None = None,
) -> PurchaseOrder:
    """An order from supplier for (item, quantity) lines, through approved requests."""
    requests = [approve(session, make_request(session, item, quantity)) for item, quantity in lines]
    return orders.create_purchase_order(
        session=session,
        request_ids=[r.id for r in requests],
        supplier_id=supplier.id,
        warehouse_id=warehouse.id,
        order_date=order_date,
        actor=ACTOR,
    )


def receive_goods(
    session: Session,
    order: PurchaseOrder,
    *lines: tuple[int, Decimal | str, Decimal | str],
    received_on: date | None = None,
) -> Any:
    """A goods receipt of (line index, received, rejected) for the order."""
    data = [
        ReceiptLineCreate(
            purchase_order_line_id=order.lines[index].id,
            received_qty=Decimal(received),
            rejected_qty=Decimal(rejected),
        )
        for index, received, rejected in lines
    ]
    return orders.record_goods_receipt(
        session=session, purchase_order_id=order.id, lines=data, received_on=received_on, actor=ACTOR
    )
