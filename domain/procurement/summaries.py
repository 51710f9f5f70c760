"""The small dicts procurement operators return: what a gateway, DMN or later step reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.procurement import service
from domain.procurement.models import GoodsReceipt, PurchaseOrder, PurchaseRequest, SupplierInvoice


def request_summary(request: PurchaseRequest) -> dict[str, Any]:
    """A request: its value, derived status and the step waiting for a decision."""
    status = request.status
    return {
        "id": request.id,
        "number": request.number,
        "item_sku": request.item.sku,
        "quantity": request.quantity,
        "estimated_value": service.estimated_value(request.item.unit_cost, request.quantity),
        "required_steps": request.required_steps,
        "status": status.value,
        "approved": status.value == "approved",
        "rejected": status.value == "rejected",
        "next_step": request.next_step,
    }


def requests_summary(requests: list[PurchaseRequest]) -> dict[str, Any]:
    """Several requests, with their ids, total value and the most approval steps any needs."""
    summaries = [request_summary(r) for r in requests]
    return {
        "count": len(summaries),
        "request_ids": [r["id"] for r in summaries],
        "requests": summaries,
        "required_steps": max((r["required_steps"] for r in summaries), default=0),
        "total_value": sum((r["estimated_value"] for r in summaries), Decimal("0.00")),
    }


def order_summary(order: PurchaseOrder) -> dict[str, Any]:
    """A purchase order: supplier, dates, total, derived status, lines with open quantities."""
    return {
        "id": order.id,
        "number": order.number,
        "supplier_id": order.supplier_id,
        "supplier_code": order.supplier.code,
        "order_date": order.order_date,
        "expected_date": order.expected_date,
        "currency": order.currency,
        "total": order.total,
        "status": order.status.value,
        "lines": [
            {
                "line_id": line.id,
                "item_sku": line.item.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "open_qty": line.open_qty,
            }
            for line in order.lines
        ],
    }


def receipt_summary(session: Session, receipt: GoodsReceipt) -> dict[str, Any]:
    """A receipt: accepted and rejected totals, on time, and the sales processes its goods may release."""
    order = receipt.order
    accepted = sum((line.accepted_qty for line in receipt.lines), Decimal("0.000"))
    rejected = sum((line.rejected_qty for line in receipt.lines), Decimal("0.000"))
    return {
        "receipt_id": receipt.id,
        "number": receipt.number,
        "purchase_order_id": order.id,
        "accepted_qty": accepted,
        "rejected_qty": rejected,
        "has_rejections": rejected > 0,
        "on_time": receipt.on_time,
        "order_status": order.status.value,
        "fully_received": all(line.open_qty == 0 for line in order.lines),
        "waiting": _waiting(session, order),
    }


def _waiting(session: Session, order: PurchaseOrder) -> list[dict[str, Any]]:
    """Shortage requests on fully received lines: the sales processes that may now go on."""
    done = [line.id for line in order.lines if line.open_qty == 0]
    query = select(PurchaseRequest).where(
        PurchaseRequest.purchase_order_line_id.in_(done), PurchaseRequest.sales_order_id.is_not(None)
    )
    return [
        {"sales_order_id": r.sales_order_id, "business_key": r.business_key, "instance_id": r.instance_id}
        for r in session.scalars(query.order_by(PurchaseRequest.id))
    ]


def invoice_summary(invoice: SupplierInvoice) -> dict[str, Any]:
    """A supplier invoice: total, due date, match status and whether it may be paid."""
    return {
        "id": invoice.id,
        "number": invoice.number,
        "supplier_number": invoice.supplier_number,
        "total": invoice.total,
        "currency": invoice.currency,
        "due_date": invoice.due_date,
        "match_status": invoice.match_status.value,
        "payable": invoice.payable,
    }
