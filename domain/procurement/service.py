"""Procurement: suppliers, their derived performance, purchase requests and their approvals.

Services flush, never commit. Purchase orders and receipts live in procurement.orders, supplier invoices in
procurement.invoices.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Protocol

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput, NotFound
from domain.inventory.models import Item
from domain.inventory.service import get_item, get_items_by_sku
from domain.procurement.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseApproval,
    PurchaseOrder,
    PurchaseRequest,
    RequestSource,
    RequestStatus,
    Supplier,
    SupplierItem,
)
from domain.procurement.schemas import (
    ApprovalCreate,
    PurchaseRequestCreate,
    ShortfallLine,
    SupplierCreate,
    SupplierPerformance,
)

# Requests worth more than this (quantity x item cost) need a second approval step.
SECOND_APPROVAL_ABOVE = Decimal("5000.00")
_RATE = Decimal("0.0001")


class Numbered(Protocol):
    id: int
    number: str


def new_number(session: Session, document: Numbered, prefix: str) -> str:
    """Insert document with a placeholder number, then number it from its id (the counter safe under concurrency)."""
    document.number = f"pending-{uuid.uuid4().hex}"
    session.add(document)
    session.flush()
    document.number = f"{prefix}{document.id:06d}"
    return document.number


def create_supplier(*, session: Session, data: SupplierCreate) -> Supplier:
    """Add a supplier."""
    if session.scalar(select(Supplier.id).where(Supplier.code == data.code)) is not None:
        raise Conflict(f"supplier code {data.code!r} is already taken")
    supplier = Supplier(**data.model_dump())
    session.add(supplier)
    session.flush()
    return supplier


def get_supplier(*, session: Session, supplier_id: int) -> Supplier:
    """The supplier with this id."""
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(f"supplier {supplier_id} not found")
    return supplier


def get_supplier_by_code(*, session: Session, code: str) -> Supplier:
    """The supplier with this code."""
    supplier = session.scalar(select(Supplier).where(Supplier.code == code))
    if supplier is None:
        raise NotFound(f"supplier {code!r} not found")
    return supplier


def list_suppliers(*, session: Session, search: str = "", limit: int = 100, offset: int = 0) -> list[Supplier]:
    """Suppliers by code, optionally those whose code or name contains search."""
    query = select(Supplier).order_by(Supplier.code).limit(limit).offset(offset)
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(Supplier.code.ilike(pattern) | Supplier.name.ilike(pattern))
    return list(session.scalars(query))


def set_supplier_item(*, session: Session, supplier_id: int, item_id: int, unit_price: Decimal) -> SupplierItem:
    """Record (or reprice) that the supplier sells the item at unit_price."""
    get_supplier(session=session, supplier_id=supplier_id)
    get_item(session=session, item_id=item_id)
    offer = session.get(SupplierItem, (supplier_id, item_id))
    if offer is None:
        offer = SupplierItem(supplier_id=supplier_id, item_id=item_id, unit_price=unit_price)
        session.add(offer)
    offer.unit_price = unit_price
    session.flush()
    return offer


def supplier_performance(*, session: Session, supplier_ids: Iterable[int]) -> dict[int, SupplierPerformance]:
    """Per supplier, on-time and acceptance rates derived from its goods receipts."""
    ids = sorted(set(supplier_ids))
    on_time = case((GoodsReceipt.received_on <= PurchaseOrder.expected_date, 1), else_=0)
    receipts = dict.fromkeys(ids, (0, 0))
    query = (
        select(PurchaseOrder.supplier_id, func.count(GoodsReceipt.id), func.coalesce(func.sum(on_time), 0))
        .join(GoodsReceipt, GoodsReceipt.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.supplier_id.in_(ids))
        .group_by(PurchaseOrder.supplier_id)
    )
    for supplier_id, count, timely in session.execute(query):
        receipts[supplier_id] = (int(count), int(timely))
    quantities = dict.fromkeys(ids, (Decimal(0), Decimal(0)))
    query_qty = (
        select(
            PurchaseOrder.supplier_id, func.sum(GoodsReceiptLine.received_qty), func.sum(GoodsReceiptLine.accepted_qty)
        )
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
        .join(PurchaseOrder, PurchaseOrder.id == GoodsReceipt.purchase_order_id)
        .where(PurchaseOrder.supplier_id.in_(ids))
        .group_by(PurchaseOrder.supplier_id)
    )
    for supplier_id, received, accepted in session.execute(query_qty):
        quantities[supplier_id] = (Decimal(received), Decimal(accepted))
    return {sid: _performance(sid, *receipts[sid], *quantities[sid]) for sid in ids}


def _performance(
    supplier_id: int, count: int, timely: int, received: Decimal, accepted: Decimal
) -> SupplierPerformance:
    return SupplierPerformance(
        supplier_id=supplier_id,
        receipts=count,
        on_time_receipts=timely,
        received_qty=received,
        accepted_qty=accepted,
        on_time_rate=(Decimal(timely) / count).quantize(_RATE) if count else None,
        acceptance_rate=(accepted / received).quantize(_RATE) if received else None,
    )


def rank_suppliers(*, session: Session, item_id: int) -> list[Supplier]:
    """Active suppliers offering the item, best first: highest on-time rate (unrated last), then shortest lead time."""
    offers = session.scalars(
        select(Supplier)
        .join(SupplierItem, SupplierItem.supplier_id == Supplier.id)
        .where(SupplierItem.item_id == item_id, Supplier.active)
    ).all()
    rates = supplier_performance(session=session, supplier_ids=[s.id for s in offers])

    def key(supplier: Supplier) -> tuple[Decimal, int, str]:
        rate = rates[supplier.id].on_time_rate
        return (-(rate if rate is not None else Decimal(-1)), supplier.lead_time_days, supplier.code)

    return sorted(offers, key=key)


def choose_supplier(*, session: Session, item_id: int) -> Supplier:
    """The best supplier for the item (see rank_suppliers); NotFound when nobody offers it."""
    ranked = rank_suppliers(session=session, item_id=item_id)
    if not ranked:
        raise NotFound(f"no active supplier offers item {get_item(session=session, item_id=item_id).sku}")
    return ranked[0]


def create_purchase_request(*, session: Session, data: PurchaseRequestCreate, actor: str) -> PurchaseRequest:
    """Record a need for an item; unless told, ones worth more than SECOND_APPROVAL_ABOVE need two approval steps."""
    item = get_items_by_sku(session=session, skus=[data.item_sku])[data.item_sku]
    if data.source == RequestSource.SHORTAGE and data.sales_order_id is None:
        raise InvalidInput("a shortage request names the sales order that is short")
    fields = data.model_dump(exclude={"item_sku", "required_steps"})
    steps = data.required_steps or (2 if estimated_value(item.unit_cost, data.quantity) > SECOND_APPROVAL_ABOVE else 1)
    request = PurchaseRequest(**fields, item_id=item.id, required_steps=steps, created_by=actor)
    new_number(session, request, "PR")
    session.flush()
    return request


def create_shortage_requests(
    *,
    session: Session,
    sales_order_id: int,
    shortfall: Sequence[ShortfallLine],
    business_key: str | None,
    instance_id: int | None = None,
    actor: str,
) -> list[PurchaseRequest]:
    """One request per short item of a sales order; an item already requested for that order is not asked twice."""
    existing = {
        r.item_id: r
        for r in session.scalars(select(PurchaseRequest).where(PurchaseRequest.sales_order_id == sales_order_id))
        if r.status != RequestStatus.REJECTED
    }
    items = get_items_by_sku(session=session, skus=[line.item_sku for line in shortfall])
    requests = []
    for line in shortfall:
        item = items[line.item_sku]
        if item.id in existing:
            requests.append(existing[item.id])
            continue
        data = PurchaseRequestCreate(
            item_sku=line.item_sku,
            quantity=line.quantity,
            source=RequestSource.SHORTAGE,
            sales_order_id=sales_order_id,
            business_key=business_key,
            instance_id=instance_id,
        )
        existing[item.id] = create_purchase_request(session=session, data=data, actor=actor)
        requests.append(existing[item.id])
    return requests


def estimated_value(unit_cost: Decimal, quantity: Decimal) -> Decimal:
    """What a request is worth at the item's cost: the amount approval rules decide on."""
    return (unit_cost * quantity).quantize(Decimal("0.01"))


def set_approval_steps(*, session: Session, request_id: int, steps: int) -> PurchaseRequest:
    """Set how many approval steps a pending request needs (e.g. from the approval DMN)."""
    if steps not in (1, 2):
        raise InvalidInput(f"a request needs 1 or 2 approval steps, not {steps}")
    request = get_purchase_request(session=session, request_id=request_id, for_update=True)
    if request.status != RequestStatus.PENDING:
        raise Conflict(f"purchase request {request.number} is {request.status.value}: its approval is over")
    request.required_steps = steps
    session.flush()
    return request


def get_purchase_request(*, session: Session, request_id: int, for_update: bool = False) -> PurchaseRequest:
    """The request with this id; for_update locks its row."""
    query = select(PurchaseRequest).where(PurchaseRequest.id == request_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    request = session.scalar(query)
    if request is None:
        raise NotFound(f"purchase request {request_id} not found")
    return request


def list_purchase_requests(
    *,
    session: Session,
    search: str = "",
    status: RequestStatus | None = None,
    source: RequestSource | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PurchaseRequest]:
    """Requests, newest first, by number, item sku or business key; the derived status is filtered after loading
    (a bounded scan of recent requests)."""
    query = select(PurchaseRequest).order_by(PurchaseRequest.id.desc())
    if search.strip():
        pattern = f"%{search.strip()}%"
        skus = select(Item.id).where(Item.sku.ilike(pattern))
        query = query.where(
            PurchaseRequest.number.ilike(pattern)
            | PurchaseRequest.item_id.in_(skus)
            | PurchaseRequest.business_key.ilike(pattern)
        )
    if source is not None:
        query = query.where(PurchaseRequest.source == source)
    if status is None:
        return list(session.scalars(query.limit(limit).offset(offset)))
    matching = [r for r in session.scalars(query.limit(5000)) if r.status == status]
    return matching[offset : offset + limit]


def record_approval(*, session: Session, request_id: int, data: ApprovalCreate, actor: str) -> PurchaseRequest:
    """Record a decision at the step the request is waiting for; a rejection ends the approval."""
    request = get_purchase_request(session=session, request_id=request_id, for_update=True)
    if request.status != RequestStatus.PENDING:
        raise Conflict(f"purchase request {request.number} is {request.status.value}, not waiting for approval")
    if data.step != request.next_step:
        raise Conflict(
            f"purchase request {request.number} waits for approval step {request.next_step}, not {data.step}"
        )
    request.approvals.append(
        PurchaseApproval(step=data.step, decision=data.decision, decided_by=actor, comment=data.comment)
    )
    session.flush()
    return request
