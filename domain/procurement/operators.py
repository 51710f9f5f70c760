"""Procurement operations that service tasks may call (collected by the engine's registry).

Results are small dicts a gateway or DMN can decide on (`approved`, `has_rejections`, `matched`, ...).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain import clock
from domain.inventory.planning import items_below_reorder_point
from domain.inventory.service import get_item_by_sku
from domain.operators import Operator
from domain.procurement import invoices, orders, service
from domain.procurement.models import (
    Decision,
    RequestSource,
    SupplierItem,
)
from domain.procurement.operator_params import (
    ApprovalParams,
    ApproveInvoiceParams,
    ChooseSupplierParams,
    CreateOrderParams,
    CreateRequestParams,
    MatchParams,
    NoParams,
    OrderIdParams,
    PayParams,
    ReceiptIdParams,
    ReceiptParams,
    RegisterInvoiceParams,
    StepsParams,
)
from domain.procurement.schemas import (
    ApprovalCreate,
    InvoiceLineCreate,
    MatchTolerance,
    PurchaseRequestCreate,
    ReceiptLineCreate,
    ShortfallLine,
    SupplierInvoiceCreate,
)
from domain.procurement.summaries import (
    invoice_summary,
    order_summary,
    receipt_summary,
    request_summary,
    requests_summary,
)

# Service tasks run on behalf of the process, not a person; the engine does not pass a user.
ACTOR = "system"


def create_purchase_request(
    *,
    session: Session,
    lines: list[Any],
    sales_order_id: int | None = None,
    business_key: str | None = None,
    instance_id: int | None = None,
    needed_by: date | None = None,
    required_steps: int | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One request per line; with sales_order_id they are that order's shortage (not requested twice)."""
    shortfall = [ShortfallLine.model_validate(line) for line in lines]
    if sales_order_id is not None:
        requests = service.create_shortage_requests(
            session=session,
            sales_order_id=sales_order_id,
            shortfall=shortfall,
            business_key=business_key,
            instance_id=instance_id,
            actor=ACTOR,
        )
    else:
        requests = [
            service.create_purchase_request(
                session=session,
                data=PurchaseRequestCreate(
                    item_sku=line.item_sku,
                    quantity=line.quantity,
                    needed_by=needed_by,
                    required_steps=required_steps,
                    business_key=business_key,
                    instance_id=instance_id,
                    note=note,
                ),
                actor=ACTOR,
            )
            for line in shortfall
        ]
    return requests_summary(requests)


def create_reorder_requests(*, session: Session) -> dict[str, Any]:
    """A reorder request for each item below its reorder point (items with an open request are skipped)."""
    requests = [
        service.create_purchase_request(
            session=session,
            data=PurchaseRequestCreate(
                item_sku=breach.item_sku, quantity=breach.suggested_quantity, source=RequestSource.REORDER
            ),
            actor=ACTOR,
        )
        for breach in items_below_reorder_point(session=session)
    ]
    return requests_summary(requests)


def set_approval_steps(*, session: Session, request_id: int, steps: int) -> dict[str, Any]:
    """Set the approval steps a pending request needs (the approval DMN's answer)."""
    return request_summary(service.set_approval_steps(session=session, request_id=request_id, steps=steps))


def record_approval(
    *, session: Session, request_id: int, step: int, decision: Decision, approver: str, comment: str = ""
) -> dict[str, Any]:
    """Record an approver's decision at a step."""
    request = service.record_approval(
        session=session,
        request_id=request_id,
        data=ApprovalCreate(step=step, decision=decision, comment=comment),
        actor=approver,
    )
    return request_summary(request)


def choose_supplier(*, session: Session, item_sku: str | None = None, request_id: int | None = None) -> dict[str, Any]:
    """The best supplier for an item: highest on-time rate, then shortest lead time."""
    if request_id is not None:
        item_id = service.get_purchase_request(session=session, request_id=request_id).item_id
    else:
        item_id = get_item_by_sku(session=session, sku=str(item_sku)).id
    supplier = service.choose_supplier(session=session, item_id=item_id)
    rates = service.supplier_performance(session=session, supplier_ids=[supplier.id])[supplier.id]
    offer = session.get(SupplierItem, (supplier.id, item_id))
    return {
        "supplier_id": supplier.id,
        "supplier_code": supplier.code,
        "supplier_name": supplier.name,
        "lead_time_days": supplier.lead_time_days,
        "on_time_rate": rates.on_time_rate,
        "acceptance_rate": rates.acceptance_rate,
        "unit_price": offer.unit_price if offer is not None else None,
    }


def create_purchase_order(
    *, session: Session, request_ids: list[int], supplier_id: int | None = None, warehouse_id: int | None = None
) -> dict[str, Any]:
    """Order approved requests from one supplier (default: the best for the first request's item)."""
    order = orders.create_purchase_order(
        session=session, request_ids=request_ids, supplier_id=supplier_id, warehouse_id=warehouse_id, actor=ACTOR
    )
    return order_summary(order)


def get_purchase_order(*, session: Session, purchase_order_id: int) -> dict[str, Any]:
    """Where a purchase order stands (e.g. after the supplier-late timer): status, open quantities, expected date."""
    order = orders.get_purchase_order(session=session, order_id=purchase_order_id)
    return order_summary(order) | {
        "fully_received": all(line.open_qty == 0 for line in order.lines),
        "overdue": clock.now().date() > order.expected_date and any(line.open_qty > 0 for line in order.lines),
    }


def record_goods_receipt(
    *, session: Session, purchase_order_id: int, lines: list[Any] | None = None, received_on: date | None = None
) -> dict[str, Any]:
    """Record a delivery with its inspection; accepted goods go into stock."""
    if lines is None:
        order = orders.get_purchase_order(session=session, order_id=purchase_order_id)
        parsed = [
            ReceiptLineCreate(purchase_order_line_id=line.id, received_qty=line.open_qty)
            for line in order.lines
            if line.open_qty > 0
        ]
    else:
        parsed = [ReceiptLineCreate.model_validate(line) for line in lines]
    receipt = orders.record_goods_receipt(
        session=session, purchase_order_id=purchase_order_id, lines=parsed, received_on=received_on, actor=ACTOR
    )
    return receipt_summary(session, receipt)


def return_rejected(*, session: Session, receipt_id: int, reason: str = "") -> dict[str, Any]:
    """Send the receipt's rejected, not yet returned goods back to the supplier."""
    returns = orders.return_rejected(session=session, receipt_id=receipt_id, reason=reason, actor=ACTOR)
    return {
        "receipt_id": receipt_id,
        "returns": [{"number": r.number, "item_sku": r.receipt_line.item.sku, "quantity": r.quantity} for r in returns],
        "returned_qty": sum((r.quantity for r in returns), Decimal("0.000")),
    }


def register_supplier_invoice(
    *, session: Session, purchase_order_id: int, supplier_number: str, invoice_date: date, lines: list[Any]
) -> dict[str, Any]:
    """Register a supplier invoice against a purchase order (match it next)."""
    data = SupplierInvoiceCreate(
        purchase_order_id=purchase_order_id,
        supplier_number=supplier_number,
        invoice_date=invoice_date,
        lines=[InvoiceLineCreate.model_validate(line) for line in lines],
    )
    return invoice_summary(invoices.create_supplier_invoice(session=session, data=data, actor=ACTOR))


def match_supplier_invoice(*, session: Session, invoice_id: int, tolerance: Any = None) -> dict[str, Any]:
    """3-way match of an invoice against order prices and accepted quantities."""
    limits = MatchTolerance.model_validate(tolerance) if tolerance is not None else None
    result = invoices.match_supplier_invoice(session=session, invoice_id=invoice_id, tolerance=limits)
    return {
        "invoice_id": result.invoice_id,
        "matched": result.matched,
        "mismatch_count": len(result.mismatches),
        "mismatches": [m.model_dump() for m in result.mismatches],
    }


def approve_supplier_invoice(*, session: Session, invoice_id: int, approver: str, comment: str) -> dict[str, Any]:
    """Finance accepts a mismatched invoice, making it payable."""
    invoice = invoices.approve_supplier_invoice(session=session, invoice_id=invoice_id, comment=comment, actor=approver)
    return invoice_summary(invoice)


def pay_supplier_invoice(
    *,
    session: Session,
    invoice_id: int,
    amount: Decimal | None = None,
    paid_on: date | None = None,
    reference: str = "",
) -> dict[str, Any]:
    """Record a payment of a payable supplier invoice (default: what is still open)."""
    payment = invoices.pay_supplier_invoice(
        session=session, invoice_id=invoice_id, amount=amount, paid_on=paid_on, reference=reference, actor=ACTOR
    )
    invoice = payment.invoice
    return {
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "amount": payment.amount,
        "paid": invoice.paid,
        "open_amount": invoice.open_amount,
        "fully_paid": invoice.open_amount == 0,
    }


OPERATORS: list[Operator] = [
    Operator(
        name="procurement.create_purchase_request",
        func=create_purchase_request,
        params=CreateRequestParams,
        description="Create purchase requests for item lines; with sales_order_id and business_key, for a shortage.",
    ),
    Operator(
        name="procurement.create_reorder_requests",
        func=create_reorder_requests,
        params=NoParams,
        description="Create a purchase request for each item below its reorder point (scheduled check).",
    ),
    Operator(
        name="procurement.set_approval_steps",
        func=set_approval_steps,
        params=StepsParams,
        description="Set how many approval steps (1 or 2) a pending purchase request needs, e.g. from a DMN.",
    ),
    Operator(
        name="procurement.record_approval",
        func=record_approval,
        params=ApprovalParams,
        description="Record an approver's decision (approved/rejected) at step 1 or 2 of a purchase request.",
    ),
    Operator(
        name="procurement.choose_supplier",
        func=choose_supplier,
        params=ChooseSupplierParams,
        description="Pick the best supplier for an item or request: on-time rate, then lead time.",
    ),
    Operator(
        name="procurement.create_purchase_order",
        func=create_purchase_order,
        params=CreateOrderParams,
        description="Order approved purchase requests from one supplier; expected date = today + lead time.",
    ),
    Operator(
        name="procurement.get_purchase_order",
        func=get_purchase_order,
        params=OrderIdParams,
        description="Where a purchase order stands: status, open quantities, expected date, overdue.",
    ),
    Operator(
        name="procurement.record_goods_receipt",
        func=record_goods_receipt,
        params=ReceiptParams,
        description="Record a delivery and its inspection; accepted quantity is booked into stock.",
    ),
    Operator(
        name="procurement.return_rejected",
        func=return_rejected,
        params=ReceiptIdParams,
        description="Return a receipt's rejected goods to the supplier (repeatable).",
    ),
    Operator(
        name="procurement.register_supplier_invoice",
        func=register_supplier_invoice,
        params=RegisterInvoiceParams,
        description="Register a supplier invoice against a purchase order.",
    ),
    Operator(
        name="procurement.match_supplier_invoice",
        func=match_supplier_invoice,
        params=MatchParams,
        description="3-way match a supplier invoice against order prices and accepted quantities, within tolerance.",
    ),
    Operator(
        name="procurement.approve_supplier_invoice",
        func=approve_supplier_invoice,
        params=ApproveInvoiceParams,
        description="Finance accepts a mismatched supplier invoice with a reason, making it payable.",
    ),
    Operator(
        name="procurement.pay_supplier_invoice",
        func=pay_supplier_invoice,
        params=PayParams,
        description="Record a payment of a matched or approved supplier invoice (default: the open amount).",
    ),
]
