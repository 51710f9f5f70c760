"""What is on its way: open purchase order and purchase request quantities per item (read by inventory planning)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from domain.procurement.models import Decision, PurchaseApproval, PurchaseOrder, PurchaseOrderLine, PurchaseRequest


def open_order_quantities(
    *,
    session: Session,
    item_ids: Iterable[int] | None = None,
    warehouse_id: int | None = None,
    by: date | None = None,
) -> dict[int, Decimal]:
    """Per item, ordered but not yet accepted quantity, optionally for one warehouse and expected on or before by."""
    open_qty = PurchaseOrderLine.quantity - PurchaseOrderLine.accepted_qty
    query = (
        select(PurchaseOrderLine.item_id, func.sum(open_qty))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(open_qty > 0)
        .group_by(PurchaseOrderLine.item_id)
    )
    if item_ids is not None:
        query = query.where(PurchaseOrderLine.item_id.in_(sorted(set(item_ids))))
    if warehouse_id is not None:
        query = query.where(PurchaseOrder.warehouse_id == warehouse_id)
    if by is not None:
        query = query.where(PurchaseOrder.expected_date <= by)
    return {item_id: Decimal(total) for item_id, total in session.execute(query)}


def open_request_quantities(*, session: Session, item_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """Per item, quantity requested and neither rejected nor yet on a purchase order."""
    rejected = exists().where(
        PurchaseApproval.request_id == PurchaseRequest.id, PurchaseApproval.decision == Decision.REJECTED
    )
    query = (
        select(PurchaseRequest.item_id, func.sum(PurchaseRequest.quantity))
        .where(PurchaseRequest.purchase_order_line_id.is_(None), ~rejected)
        .group_by(PurchaseRequest.item_id)
    )
    if item_ids is not None:
        query = query.where(PurchaseRequest.item_id.in_(sorted(set(item_ids))))
    return {item_id: Decimal(total) for item_id, total in session.execute(query)}
