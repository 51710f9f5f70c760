"""Suppliers, purchase requests/orders, receipts, supplier invoices, stock positions (#3).

Reads for any signed-in user; the one write is a purchase request by hand (the process does the rest).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel

from domain.errors import Forbidden
from domain.inventory import planning
from domain.inventory.schemas import StockPosition
from domain.inventory.service import get_item
from domain.procurement import invoices, orders, service
from domain.procurement.models import MatchStatus, OrderStatus, RequestSource, RequestStatus, Supplier
from domain.procurement.schemas import (
    GoodsReceiptRead,
    PurchaseOrderRead,
    PurchaseRequestCreate,
    PurchaseRequestRead,
    SupplierInvoiceRead,
    SupplierPerformance,
    SupplierRead,
    SupplierWithRates,
)
from web.deps import ApiUser, SessionDep

router = APIRouter(tags=["procurement"])
REQUESTER_GROUPS = {"purchasing", "purchasing_management", "admin"}
MAX_LIMIT = 500


def _limit(limit: int) -> int:
    return min(max(limit, 1), MAX_LIMIT)


class AtpOut(BaseModel):
    item_id: int
    sku: str
    warehouse_id: int | None
    by: date | None
    atp: Decimal


@router.get("/suppliers", response_model=list[SupplierWithRates])
def list_suppliers(
    session: SessionDep, user: ApiUser, q: str = "", limit: int = 100, offset: int = 0
) -> list[SupplierWithRates]:
    """Suppliers by code with their on-time and acceptance rates (derived from receipts)."""
    suppliers = service.list_suppliers(session=session, search=q, limit=_limit(limit), offset=max(offset, 0))
    rates = service.supplier_performance(session=session, supplier_ids=[s.id for s in suppliers])
    return [_with_rates(s, rates[s.id]) for s in suppliers]


@router.get("/suppliers/{supplier_id}", response_model=SupplierWithRates)
def get_supplier(supplier_id: int, session: SessionDep, user: ApiUser) -> SupplierWithRates:
    """One supplier with its derived rates."""
    supplier = service.get_supplier(session=session, supplier_id=supplier_id)
    return _with_rates(supplier, service.supplier_performance(session=session, supplier_ids=[supplier.id])[supplier.id])


@router.get("/purchase-requests", response_model=list[PurchaseRequestRead])
def list_purchase_requests(
    session: SessionDep,
    user: ApiUser,
    q: str = "",
    status: RequestStatus | None = None,
    source: RequestSource | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PurchaseRequestRead]:
    """Purchase requests, newest first, by number, derived status and source."""
    found = service.list_purchase_requests(
        session=session, search=q, status=status, source=source, limit=_limit(limit), offset=max(offset, 0)
    )
    return [PurchaseRequestRead.model_validate(r) for r in found]


@router.post("/purchase-requests", response_model=PurchaseRequestRead, status_code=201)
def create_purchase_request(data: PurchaseRequestCreate, session: SessionDep, user: ApiUser) -> PurchaseRequestRead:
    """A purchase request by hand (or from another system); it waits for approval. Purchasing and admins only."""
    if not (user.group_names & REQUESTER_GROUPS):
        raise Forbidden("only purchasing may raise purchase requests", code="not_purchasing")
    request = service.create_purchase_request(session=session, data=data, actor=user.username)
    session.commit()
    return PurchaseRequestRead.model_validate(request)


@router.get("/purchase-requests/{request_id}", response_model=PurchaseRequestRead)
def get_purchase_request(request_id: int, session: SessionDep, user: ApiUser) -> PurchaseRequestRead:
    """One request with its approvals."""
    return PurchaseRequestRead.model_validate(service.get_purchase_request(session=session, request_id=request_id))


@router.get("/purchase-orders", response_model=list[PurchaseOrderRead])
def list_purchase_orders(
    session: SessionDep,
    user: ApiUser,
    q: str = "",
    supplier_id: int | None = None,
    status: OrderStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PurchaseOrderRead]:
    """Purchase orders, newest first, by number, supplier and derived status."""
    found = orders.list_purchase_orders(
        session=session, search=q, supplier_id=supplier_id, status=status, limit=_limit(limit), offset=max(offset, 0)
    )
    return [PurchaseOrderRead.model_validate(o) for o in found]


@router.get("/purchase-orders/{order_id}", response_model=PurchaseOrderRead)
def get_purchase_order(order_id: int, session: SessionDep, user: ApiUser) -> PurchaseOrderRead:
    """One purchase order with its lines' received, accepted and invoiced quantities."""
    return PurchaseOrderRead.model_validate(orders.get_purchase_order(session=session, order_id=order_id))


@router.get("/goods-receipts", response_model=list[GoodsReceiptRead])
def list_goods_receipts(
    session: SessionDep,
    user: ApiUser,
    q: str = "",
    purchase_order_id: int | None = None,
    rejected: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[GoodsReceiptRead]:
    """Goods receipts, newest first; rejected=true: only those with rejected goods."""
    found = orders.list_goods_receipts(
        session=session,
        search=q,
        purchase_order_id=purchase_order_id,
        with_rejections=rejected,
        limit=_limit(limit),
        offset=max(offset, 0),
    )
    return [GoodsReceiptRead.model_validate(r) for r in found]


@router.get("/goods-receipts/{receipt_id}", response_model=GoodsReceiptRead)
def get_goods_receipt(receipt_id: int, session: SessionDep, user: ApiUser) -> GoodsReceiptRead:
    """One receipt with its inspection results and returns."""
    return GoodsReceiptRead.model_validate(orders.get_goods_receipt(session=session, receipt_id=receipt_id))


@router.get("/supplier-invoices", response_model=list[SupplierInvoiceRead])
def list_supplier_invoices(
    session: SessionDep,
    user: ApiUser,
    q: str = "",
    supplier_id: int | None = None,
    match_status: MatchStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[SupplierInvoiceRead]:
    """Supplier invoices, newest first, by number, supplier and match status."""
    found = invoices.list_supplier_invoices(
        session=session,
        search=q,
        supplier_id=supplier_id,
        match_status=match_status,
        limit=_limit(limit),
        offset=max(offset, 0),
    )
    return [SupplierInvoiceRead.model_validate(i) for i in found]


@router.get("/supplier-invoices/{invoice_id}", response_model=SupplierInvoiceRead)
def get_supplier_invoice(invoice_id: int, session: SessionDep, user: ApiUser) -> SupplierInvoiceRead:
    """One supplier invoice with its match result and payments."""
    return SupplierInvoiceRead.model_validate(invoices.get_supplier_invoice(session=session, invoice_id=invoice_id))


@router.get("/stock-positions", response_model=list[StockPosition])
def stock_positions(
    session: SessionDep, user: ApiUser, q: str = "", limit: int = 100, offset: int = 0
) -> list[StockPosition]:
    """Per item: on hand, reserved, available, on order, ATP and whether it is below its reorder point."""
    return planning.stock_positions(session=session, search=q, limit=_limit(limit), offset=max(offset, 0))


@router.get("/items/{item_id}/atp", response_model=AtpOut)
def item_atp(
    item_id: int, session: SessionDep, user: ApiUser, warehouse_id: int | None = None, by: date | None = None
) -> AtpOut:
    """Available to promise for an item (one warehouse or all), counting purchase orders expected by `by`."""
    item = get_item(session=session, item_id=item_id)
    value = planning.atp(session=session, item_id=item.id, warehouse_id=warehouse_id, by=by)
    return AtpOut(item_id=item.id, sku=item.sku, warehouse_id=warehouse_id, by=by, atp=value)


def _with_rates(supplier: Supplier, rates: SupplierPerformance) -> SupplierWithRates:
    base = SupplierRead.model_validate(supplier).model_dump()
    return SupplierWithRates(
        **base, on_time_rate=rates.on_time_rate, acceptance_rate=rates.acceptance_rate, receipts=rates.receipts
    )
