"""Suppliers, purchase requests and orders, goods receipts, supplier invoices, and stock per item (#3)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from domain.inventory import planning
from domain.inventory.models import Warehouse
from domain.procurement import invoices, orders, service
from domain.procurement.models import (
    GoodsReceipt,
    MatchStatus,
    OrderStatus,
    PurchaseOrderLine,
    PurchaseRequest,
    RequestSource,
    RequestStatus,
    Supplier,
    SupplierInvoice,
    SupplierItem,
)
from web.deps import SessionDep
from web.form_html import N_
from web.pages.common import UserDep, page

router = APIRouter()
PAGE_SIZE = 50
E = TypeVar("E", bound=enum.Enum)

REQUEST_STATUS_LABELS = {RequestStatus.PENDING: N_("Waiting for approval"), RequestStatus.APPROVED: N_("Approved"),
                         RequestStatus.REJECTED: N_("Rejected"), RequestStatus.ORDERED: N_("Ordered")}
SOURCE_LABELS = {RequestSource.SHORTAGE: N_("Sales shortage"), RequestSource.REORDER: N_("Reorder point"),
                 RequestSource.MANUAL: N_("By hand")}
ORDER_STATUS_LABELS = {OrderStatus.OPEN: N_("Open"), OrderStatus.PARTIALLY_RECEIVED: N_("Partially received"),
                       OrderStatus.RECEIVED: N_("Received"), OrderStatus.INVOICED: N_("Invoiced")}
MATCH_LABELS = {MatchStatus.UNMATCHED: N_("Not matched yet"), MatchStatus.MATCHED: N_("Matched"),
                MatchStatus.MISMATCH: N_("Mismatch")}
DECISION_LABELS = {"approved": N_("Approved"), "rejected": N_("Rejected")}
REASON_LABELS = {"quantity_not_received": N_("Quantity not received"), "price_differs": N_("Price differs"),
                 "total_differs": N_("Total differs")}
PROCUREMENT_LABELS = {"request_status": REQUEST_STATUS_LABELS, "source": SOURCE_LABELS,
                      "order_status": ORDER_STATUS_LABELS, "match": MATCH_LABELS, "decision": DECISION_LABELS,
                      "reason": REASON_LABELS}


def _enum(cls: type[E], value: str) -> E | None:
    """The member of cls whose value is value, else None (an unknown filter value is no filter)."""
    try:
        return cls(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _offset(page_no: int) -> int:
    return (max(page_no, 1) - 1) * PAGE_SIZE


def _list(rows: Sequence[Any], page_no: int, base: str, filters: dict[str, str]) -> dict[str, Any]:
    """What a filtered, paged list template needs; rows holds one more than a page when there is a next one."""
    params = {k: v for k, v in filters.items() if v}
    return {"rows": list(rows[:PAGE_SIZE]), "more": len(rows) > PAGE_SIZE, "page_no": max(page_no, 1),
            "base": base, "filters": filters, "query": urlencode(params), "plabels": PROCUREMENT_LABELS}


def _suppliers(session: SessionDep) -> list[Supplier]:
    return list(session.scalars(select(Supplier).order_by(Supplier.code).limit(500)))


@router.get("/suppliers", response_class=HTMLResponse)
def supplier_list(request: Request, session: SessionDep, user: UserDep, q: str = "", page_no: int = 1
                  ) -> HTMLResponse:
    """Suppliers by code with their derived on-time and acceptance rates."""
    rows = service.list_suppliers(session=session, search=q, limit=PAGE_SIZE + 1, offset=_offset(page_no))
    rates = service.supplier_performance(session=session, supplier_ids=[s.id for s in rows])
    return page(request, "procurement_suppliers.html", _list(rows, page_no, "/suppliers", {"q": q.strip()}) | {
        "rates": rates, "tab": "suppliers"}, session=session, user=user)


@router.get("/suppliers/{supplier_id}", response_class=HTMLResponse)
def supplier_page(request: Request, supplier_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A supplier: terms, derived rates, the items it offers and its recent purchase orders."""
    supplier = service.get_supplier(session=session, supplier_id=supplier_id)
    offers = session.scalars(select(SupplierItem).where(SupplierItem.supplier_id == supplier.id)).all()
    recent = orders.list_purchase_orders(session=session, supplier_id=supplier.id, limit=20)
    return page(request, "procurement_supplier.html", {
        "supplier": supplier, "rates": service.supplier_performance(session=session, supplier_ids=[supplier.id])[
            supplier.id], "offers": offers, "orders": recent, "plabels": PROCUREMENT_LABELS, "tab": "suppliers",
    }, session=session, user=user)


@router.get("/purchase-requests", response_class=HTMLResponse)
def request_list(request: Request, session: SessionDep, user: UserDep, q: str = "", status: str = "",
                 source: str = "", page_no: int = 1) -> HTMLResponse:
    """Purchase requests, newest first, by number, derived status and source."""
    rows = service.list_purchase_requests(
        session=session, search=q, status=_enum(RequestStatus, status), source=_enum(RequestSource, source),
        limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"q": q.strip(), "status": status if _enum(RequestStatus, status) else "",
               "source": source if _enum(RequestSource, source) else ""}
    return page(request, "procurement_requests.html", _list(rows, page_no, "/purchase-requests", filters) | {
        "statuses": list(RequestStatus), "sources": list(RequestSource), "tab": "requests"},
        session=session, user=user)


@router.get("/purchase-requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A purchase request: what, why, its approvals and the order that took it up."""
    purchase_request: PurchaseRequest = service.get_purchase_request(session=session, request_id=request_id)
    line_id = purchase_request.purchase_order_line_id
    line = session.get(PurchaseOrderLine, line_id) if line_id is not None else None
    order = line.order if line is not None else None
    return page(request, "procurement_request.html", {"req": purchase_request, "order": order,
                                                      "plabels": PROCUREMENT_LABELS, "tab": "requests"},
                session=session, user=user)


@router.get("/purchase-orders", response_class=HTMLResponse)
def order_list(request: Request, session: SessionDep, user: UserDep, q: str = "", status: str = "",
               supplier: str = "", page_no: int = 1) -> HTMLResponse:
    """Purchase orders, newest first, by number, supplier and derived status."""
    rows = orders.list_purchase_orders(
        session=session, search=q, supplier_id=_id(supplier), status=_enum(OrderStatus, status),
        limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"q": q.strip(), "status": status if _enum(OrderStatus, status) else "",
               "supplier": str(_id(supplier) or "")}
    return page(request, "procurement_orders.html", _list(rows, page_no, "/purchase-orders", filters) | {
        "statuses": list(OrderStatus), "suppliers": _suppliers(session), "tab": "orders"},
        session=session, user=user)


@router.get("/purchase-orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A purchase order: lines with received/accepted/invoiced quantities, its receipts, invoices and requests."""
    order = orders.get_purchase_order(session=session, order_id=order_id)
    line_ids = [line.id for line in order.lines]
    requests = session.scalars(select(PurchaseRequest).where(
        PurchaseRequest.purchase_order_line_id.in_(line_ids)).order_by(PurchaseRequest.id)).all()
    return page(request, "procurement_order.html", {
        "order": order, "requests": requests, "plabels": PROCUREMENT_LABELS, "tab": "orders",
        "receipts": orders.list_goods_receipts(session=session, purchase_order_id=order.id),
        "invoices": session.scalars(select(SupplierInvoice).where(
            SupplierInvoice.purchase_order_id == order.id).order_by(SupplierInvoice.id)).all(),
    }, session=session, user=user)


@router.get("/goods-receipts", response_class=HTMLResponse)
def receipt_list(request: Request, session: SessionDep, user: UserDep, q: str = "", rejected: str = "",
                 page_no: int = 1) -> HTMLResponse:
    """Goods receipts, newest first; optionally only those with rejected goods."""
    rows = orders.list_goods_receipts(session=session, search=q, with_rejections=rejected == "yes",
                                      limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"q": q.strip(), "rejected": "yes" if rejected == "yes" else ""}
    return page(request, "procurement_receipts.html", _list(rows, page_no, "/goods-receipts", filters) | {
        "tab": "receipts"}, session=session, user=user)


@router.get("/goods-receipts/{receipt_id}", response_class=HTMLResponse)
def receipt_page(request: Request, receipt_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A goods receipt: per line received, accepted, rejected and returned quantity."""
    receipt: GoodsReceipt = orders.get_goods_receipt(session=session, receipt_id=receipt_id)
    return page(request, "procurement_receipt.html", {
        "receipt": receipt, "warehouse": session.get(Warehouse, receipt.warehouse_id),
        "returns": orders.list_returns(session=session, receipt_id=receipt.id), "tab": "receipts",
        "plabels": PROCUREMENT_LABELS}, session=session, user=user)


@router.get("/supplier-invoices", response_class=HTMLResponse)
def invoice_list(request: Request, session: SessionDep, user: UserDep, q: str = "", match: str = "",
                 supplier: str = "", page_no: int = 1) -> HTMLResponse:
    """Supplier invoices, newest first, by number, supplier and match status."""
    rows = invoices.list_supplier_invoices(
        session=session, search=q, supplier_id=_id(supplier), match_status=_enum(MatchStatus, match),
        limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"q": q.strip(), "match": match if _enum(MatchStatus, match) else "",
               "supplier": str(_id(supplier) or "")}
    return page(request, "procurement_invoices.html", _list(rows, page_no, "/supplier-invoices", filters) | {
        "matches": list(MatchStatus), "suppliers": _suppliers(session), "tab": "invoices"},
        session=session, user=user)


@router.get("/supplier-invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, invoice_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A supplier invoice: lines against the order, the match result with reasons, approval and payments."""
    invoice = invoices.get_supplier_invoice(session=session, invoice_id=invoice_id)
    return page(request, "procurement_invoice.html", {"invoice": invoice, "plabels": PROCUREMENT_LABELS,
                                                      "tab": "invoices"}, session=session, user=user)


@router.get("/items", response_class=HTMLResponse)
def item_list(request: Request, session: SessionDep, user: UserDep, q: str = "", below: str = "",
              page_no: int = 1) -> HTMLResponse:
    """Stock per item: on hand, reserved, available, on order, ATP, and whether it is below its reorder point."""
    if below == "yes":  # a derived state: filter a bounded scan, then page
        positions = [p for p in planning.stock_positions(session=session, search=q, limit=5000)
                     if p.below_reorder_point]
        rows = positions[_offset(page_no):_offset(page_no) + PAGE_SIZE + 1]
    else:
        rows = planning.stock_positions(session=session, search=q, limit=PAGE_SIZE + 1, offset=_offset(page_no))
    filters = {"q": q.strip(), "below": "yes" if below == "yes" else ""}
    return page(request, "items.html", _list(rows, page_no, "/items", filters) | {"tab": "items"},
                session=session, user=user)
