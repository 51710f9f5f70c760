"""Purchase orders, goods receipts with inspection, and returns to the supplier.

Lock order: the purchase order row first, then (through inventory) stock balances in (item_id, warehouse_id)
order. Stock moves only through inventory.service (receive_stock, return_to_supplier).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.inventory.models import Warehouse
from domain.inventory.service import get_warehouse, receive_stock, return_to_supplier
from domain.procurement.models import (
    ZERO_QTY,
    GoodsReceipt,
    GoodsReceiptLine,
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    RequestStatus,
    Supplier,
    SupplierItem,
    SupplierReturn,
)
from domain.procurement.schemas import ReceiptLineCreate
from domain.procurement.service import choose_supplier, get_supplier, new_number


def create_purchase_order(
    *,
    session: Session,
    request_ids: Sequence[int],
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
    order_date: date | None = None,
    actor: str,
) -> PurchaseOrder:
    """Order approved requests from one supplier (default: the best for the first item), one line per item.

    Expected date = order date + the supplier's lead time; the price is the supplier's for the item, else its cost.
    """
    requests = _lock_requests(session, request_ids)
    not_approved = [r.number for r in requests if r.status != RequestStatus.APPROVED]
    if not_approved:
        raise Conflict(f"purchase requests not approved (or already ordered): {', '.join(not_approved)}")
    supplier = (
        get_supplier(session=session, supplier_id=supplier_id)
        if supplier_id is not None
        else choose_supplier(session=session, item_id=requests[0].item_id)
    )
    warehouse = _warehouse(session, warehouse_id)
    ordered_on = order_date or clock.now().date()
    order = PurchaseOrder(
        supplier_id=supplier.id,
        warehouse_id=warehouse.id,
        currency=supplier.currency,
        order_date=ordered_on,
        expected_date=ordered_on + timedelta(days=supplier.lead_time_days),
        created_by=actor,
    )
    by_item: dict[int, PurchaseOrderLine] = {}
    for request in requests:
        line = by_item.get(request.item_id)
        if line is None:
            line = by_item[request.item_id] = PurchaseOrderLine(
                item_id=request.item_id,
                quantity=ZERO_QTY,
                unit_price=_price(session, supplier.id, request),
                received_qty=ZERO_QTY,
                accepted_qty=ZERO_QTY,
                invoiced_qty=ZERO_QTY,
            )
            order.lines.append(line)
        line.quantity += request.quantity
    new_number(session, order, "PO")
    for request in requests:
        request.purchase_order_line_id = by_item[request.item_id].id
    session.flush()
    return order


def get_purchase_order(*, session: Session, order_id: int, for_update: bool = False) -> PurchaseOrder:
    """The order with this id; for_update locks its row (and re-reads it and its lines)."""
    query = select(PurchaseOrder).where(PurchaseOrder.id == order_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    order = session.scalar(query)
    if order is None:
        raise NotFound(f"purchase order {order_id} not found")
    return order


def list_purchase_orders(
    *,
    session: Session,
    search: str = "",
    supplier_id: int | None = None,
    status: OrderStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PurchaseOrder]:
    """Orders, newest first, by number or supplier; the derived status is filtered after loading (a bounded scan)."""
    query = select(PurchaseOrder).order_by(PurchaseOrder.id.desc())
    if search.strip():
        pattern = f"%{search.strip()}%"
        by_supplier = select(Supplier.id).where(Supplier.code.ilike(pattern) | Supplier.name.ilike(pattern))
        query = query.where(PurchaseOrder.number.ilike(pattern) | PurchaseOrder.supplier_id.in_(by_supplier))
    if supplier_id is not None:
        query = query.where(PurchaseOrder.supplier_id == supplier_id)
    if status is None:
        return list(session.scalars(query.limit(limit).offset(offset)))
    matching = [o for o in session.scalars(query.limit(5000)) if o.status == status]
    return matching[offset : offset + limit]


def record_goods_receipt(
    *,
    session: Session,
    purchase_order_id: int,
    lines: Sequence[ReceiptLineCreate],
    received_on: date | None = None,
    actor: str,
) -> GoodsReceipt:
    """Record a delivery and its inspection; the accepted quantity is booked into the order's warehouse.

    Rejected goods are not booked: return_rejected sends them back. Accepting more than is still open is refused.
    """
    if not lines:
        raise InvalidInput("a goods receipt needs at least one line")
    order = get_purchase_order(session=session, order_id=purchase_order_id, for_update=True)
    order_lines = {line.id: line for line in order.lines}
    receipt = GoodsReceipt(
        purchase_order_id=order.id,
        warehouse_id=order.warehouse_id,
        received_on=received_on or clock.now().date(),
        received_by=actor,
    )
    _check_receipt(order, lines)
    for data in lines:
        line = order_lines[data.purchase_order_line_id]
        accepted = data.accepted_qty or ZERO_QTY
        line.received_qty += data.received_qty
        line.accepted_qty += accepted
        receipt.lines.append(
            GoodsReceiptLine(
                purchase_order_line_id=line.id,
                item_id=line.item_id,
                received_qty=data.received_qty,
                accepted_qty=accepted,
                rejected_qty=data.rejected_qty,
                inspection_note=data.inspection_note,
            )
        )
    new_number(session, receipt, "GR")
    # One warehouse: booking in item order locks the balance rows in the ledger's (item, warehouse) order.
    for receipt_line in sorted(receipt.lines, key=lambda rl: (rl.item_id, rl.id)):
        if receipt_line.accepted_qty > 0:
            receive_stock(
                session=session,
                item_id=receipt_line.item_id,
                warehouse_id=receipt.warehouse_id,
                quantity=receipt_line.accepted_qty,
                reference=f"{order.number}/{receipt.number}",
                actor=actor,
            )
    session.flush()
    return receipt


def get_goods_receipt(*, session: Session, receipt_id: int) -> GoodsReceipt:
    """The receipt with this id."""
    receipt = session.get(GoodsReceipt, receipt_id)
    if receipt is None:
        raise NotFound(f"goods receipt {receipt_id} not found")
    return receipt


def list_goods_receipts(
    *,
    session: Session,
    search: str = "",
    purchase_order_id: int | None = None,
    with_rejections: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[GoodsReceipt]:
    """Receipts, newest first, by its or its order's number; optionally one order's, or only those with rejections."""
    query = select(GoodsReceipt).order_by(GoodsReceipt.id.desc()).limit(limit).offset(offset)
    if search.strip():
        pattern = f"%{search.strip()}%"
        by_order = select(PurchaseOrder.id).where(PurchaseOrder.number.ilike(pattern))
        query = query.where(GoodsReceipt.number.ilike(pattern) | GoodsReceipt.purchase_order_id.in_(by_order))
    if purchase_order_id is not None:
        query = query.where(GoodsReceipt.purchase_order_id == purchase_order_id)
    if with_rejections:
        rejected = select(GoodsReceiptLine.receipt_id).where(GoodsReceiptLine.rejected_qty > 0)
        query = query.where(GoodsReceipt.id.in_(rejected))
    return list(session.scalars(query))


def return_rejected(*, session: Session, receipt_id: int, reason: str = "", actor: str) -> list[SupplierReturn]:
    """Send back what the inspection rejected and is not yet returned (never booked, so no stock move); repeatable."""
    receipt = get_goods_receipt(session=session, receipt_id=receipt_id)
    get_purchase_order(session=session, order_id=receipt.purchase_order_id, for_update=True)
    session.refresh(receipt)
    returns = []
    for line in receipt.lines:
        session.refresh(line)
        outstanding = line.rejected_qty - line.returned_qty
        if outstanding > 0:
            returns.append(_new_return(session, line, outstanding, reason or line.inspection_note, None, actor))
    session.flush()
    return returns


def return_from_stock(
    *, session: Session, receipt_line_id: int, quantity: Decimal, reason: str, actor: str
) -> SupplierReturn:
    """Send back accepted, booked goods (a defect found later): a ledger move out, the line re-inspected."""
    line = session.get(GoodsReceiptLine, receipt_line_id)
    if line is None:
        raise NotFound(f"goods receipt line {receipt_line_id} not found")
    order = get_purchase_order(session=session, order_id=line.receipt.purchase_order_id, for_update=True)
    session.refresh(line)
    if quantity > line.accepted_qty:
        raise InvalidInput(f"{line.item.sku}: returning {quantity} but only {line.accepted_qty} was accepted")
    move = return_to_supplier(
        session=session,
        item_id=line.item_id,
        warehouse_id=line.receipt.warehouse_id,
        quantity=quantity,
        reference=f"{order.number}/{line.receipt.number}",
        actor=actor,
    )
    line.accepted_qty -= quantity
    line.rejected_qty += quantity
    order_line = next(ol for ol in order.lines if ol.id == line.purchase_order_line_id)
    order_line.accepted_qty -= quantity
    supplier_return = _new_return(session, line, quantity, reason, move.id, actor)
    session.flush()
    return supplier_return


def list_returns(*, session: Session, receipt_id: int) -> list[SupplierReturn]:
    """A receipt's returns, oldest first."""
    query = (
        select(SupplierReturn)
        .join(GoodsReceiptLine, GoodsReceiptLine.id == SupplierReturn.receipt_line_id)
        .where(GoodsReceiptLine.receipt_id == receipt_id)
        .order_by(SupplierReturn.id)
    )
    return list(session.scalars(query))


def _new_return(
    session: Session, line: GoodsReceiptLine, quantity: Decimal, reason: str, move_id: int | None, actor: str
) -> SupplierReturn:
    supplier_return = SupplierReturn(
        receipt_line_id=line.id, quantity=quantity, reason=reason, stock_move_id=move_id, returned_by=actor
    )
    new_number(session, supplier_return, "RT")
    line.returns.append(supplier_return)
    return supplier_return


def _check_receipt(order: PurchaseOrder, lines: Sequence[ReceiptLineCreate]) -> None:
    """Refuse the whole receipt before changing anything: lines of another order, or more accepted than open."""
    order_lines = {line.id: line for line in order.lines}
    accepting: dict[int, Decimal] = {}
    for data in lines:
        if data.purchase_order_line_id not in order_lines:
            raise InvalidInput(f"line {data.purchase_order_line_id} is not on purchase order {order.number}")
        accepted = accepting.get(data.purchase_order_line_id, ZERO_QTY) + (data.accepted_qty or ZERO_QTY)
        accepting[data.purchase_order_line_id] = accepted
    for line_id, accepted in accepting.items():
        line = order_lines[line_id]
        if accepted > line.open_qty:
            raise InvalidInput(f"{line.item.sku}: accepting {accepted} but only {line.open_qty} is still open")


def _lock_requests(session: Session, request_ids: Sequence[int]) -> list[PurchaseRequest]:
    ids = sorted(set(request_ids))
    if not ids:
        raise InvalidInput("a purchase order needs at least one purchase request")
    query = (
        select(PurchaseRequest)
        .where(PurchaseRequest.id.in_(ids))
        .order_by(PurchaseRequest.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    requests = list(session.scalars(query))
    missing = sorted(set(ids) - {r.id for r in requests})
    if missing:
        raise NotFound(f"purchase requests not found: {', '.join(map(str, missing))}")
    return requests


def _warehouse(session: Session, warehouse_id: int | None) -> Warehouse:
    if warehouse_id is not None:
        return get_warehouse(session=session, warehouse_id=warehouse_id)
    first = session.scalar(select(Warehouse).order_by(Warehouse.id).limit(1))
    if first is None:
        raise InvalidInput("there is no warehouse to deliver to")
    return first


def _price(session: Session, supplier_id: int, request: PurchaseRequest) -> Decimal:
    offer = session.get(SupplierItem, (supplier_id, request.item_id))
    return offer.unit_price if offer is not None else request.item.unit_cost
