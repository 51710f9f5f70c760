"""Supplier invoices: registration, the 3-way match (order price x accepted quantity vs invoice), payment.

Lock order: the purchase order row, then the invoice row. An invoice counts towards a line's invoiced quantity
once it is payable (matched, or accepted by finance), so a rejected invoice never blocks the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.procurement.models import (
    ZERO_MONEY,
    MatchStatus,
    PurchaseOrderLine,
    SupplierInvoice,
    SupplierInvoiceLine,
    SupplierPayment,
)
from domain.procurement.orders import get_purchase_order
from domain.procurement.schemas import MatchResult, MatchTolerance, Mismatch, SupplierInvoiceCreate
from domain.procurement.service import new_number

_CENT = Decimal("0.01")


def create_supplier_invoice(*, session: Session, data: SupplierInvoiceCreate, actor: str) -> SupplierInvoice:
    """Register a supplier's invoice against one purchase order; due after the supplier's payment terms."""
    order = get_purchase_order(session=session, order_id=data.purchase_order_id)
    duplicate = select(SupplierInvoice.id).where(
        SupplierInvoice.supplier_id == order.supplier_id, SupplierInvoice.supplier_number == data.supplier_number
    )
    if session.scalar(duplicate) is not None:
        raise Conflict(f"invoice {data.supplier_number!r} of {order.supplier.code} is already registered")
    line_ids = {line.id for line in order.lines}
    foreign = sorted({line.purchase_order_line_id for line in data.lines} - line_ids)
    if foreign:
        raise InvalidInput(f"lines not on purchase order {order.number}: {', '.join(map(str, foreign))}")
    invoice = SupplierInvoice(
        supplier_number=data.supplier_number,
        supplier_id=order.supplier_id,
        purchase_order_id=order.id,
        currency=order.currency,
        invoice_date=data.invoice_date,
        due_date=data.invoice_date + timedelta(days=order.supplier.payment_terms_days),
        created_by=actor,
        lines=[SupplierInvoiceLine(**line.model_dump()) for line in data.lines],
    )
    new_number(session, invoice, "SI")
    session.flush()
    return invoice


def get_supplier_invoice(*, session: Session, invoice_id: int, for_update: bool = False) -> SupplierInvoice:
    """The invoice with this id; for_update locks its row."""
    query = select(SupplierInvoice).where(SupplierInvoice.id == invoice_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    invoice = session.scalar(query)
    if invoice is None:
        raise NotFound(f"supplier invoice {invoice_id} not found")
    return invoice


def list_supplier_invoices(
    *,
    session: Session,
    search: str = "",
    supplier_id: int | None = None,
    match_status: MatchStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[SupplierInvoice]:
    """Invoices, newest first, by our or the supplier's number, supplier and match status."""
    query = select(SupplierInvoice).order_by(SupplierInvoice.id.desc()).limit(limit).offset(offset)
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(SupplierInvoice.number.ilike(pattern) | SupplierInvoice.supplier_number.ilike(pattern))
    if supplier_id is not None:
        query = query.where(SupplierInvoice.supplier_id == supplier_id)
    if match_status is not None:
        query = query.where(SupplierInvoice.match_status == match_status)
    return list(session.scalars(query))


def match_supplier_invoice(
    *, session: Session, invoice_id: int, tolerance: MatchTolerance | None = None
) -> MatchResult:
    """3-way match: each line's amount against order price x accepted, not yet invoiced quantity, then the total.

    A matched or finance-approved invoice keeps its result; a mismatched one may be matched again (after more
    goods arrived, say).
    """
    tolerance = tolerance or MatchTolerance()
    invoice = get_supplier_invoice(session=session, invoice_id=invoice_id)
    order = get_purchase_order(session=session, order_id=invoice.purchase_order_id, for_update=True)
    invoice = get_supplier_invoice(session=session, invoice_id=invoice_id, for_update=True)
    if invoice.payable:
        return _result(invoice)
    mismatches = list(_mismatches(invoice, {line.id: line for line in order.lines}, tolerance))
    invoice.mismatches = [m.as_dict() for m in mismatches]
    invoice.matched_at = clock.now()
    if mismatches:
        invoice.match_status = MatchStatus.MISMATCH
    else:
        invoice.match_status = MatchStatus.MATCHED
        _count_invoiced(invoice)
    session.flush()
    return _result(invoice)


def approve_supplier_invoice(*, session: Session, invoice_id: int, comment: str, actor: str) -> SupplierInvoice:
    """Finance accepts a mismatched invoice (with a reason), making it payable."""
    invoice = get_supplier_invoice(session=session, invoice_id=invoice_id)
    get_purchase_order(session=session, order_id=invoice.purchase_order_id, for_update=True)
    invoice = get_supplier_invoice(session=session, invoice_id=invoice_id, for_update=True)
    if invoice.payable:
        raise Conflict(f"supplier invoice {invoice.number} is already payable")
    if invoice.match_status != MatchStatus.MISMATCH:
        raise Conflict(f"supplier invoice {invoice.number} has not been matched yet")
    if not comment.strip():
        raise InvalidInput("approving an invoice that does not match needs a reason")
    invoice.approved_by = actor
    invoice.approved_at = clock.now()
    invoice.approval_comment = comment
    _count_invoiced(invoice)
    session.flush()
    return invoice


def pay_supplier_invoice(
    *,
    session: Session,
    invoice_id: int,
    amount: Decimal | None = None,
    paid_on: date | None = None,
    reference: str = "",
    actor: str,
) -> SupplierPayment:
    """Record a payment (default: the open amount) of a matched or finance-approved invoice."""
    invoice = get_supplier_invoice(session=session, invoice_id=invoice_id, for_update=True)
    if not invoice.payable:
        raise Conflict(
            f"supplier invoice {invoice.number} is {invoice.match_status.value} and not approved: not payable"
        )
    pay = invoice.open_amount if amount is None else amount
    if pay <= 0 or pay > invoice.open_amount or pay.quantize(_CENT) != pay:
        raise InvalidInput(f"payment {pay} must be a positive amount up to the open {invoice.open_amount}")
    payment = SupplierPayment(amount=pay, paid_on=paid_on or clock.now().date(), reference=reference, recorded_by=actor)
    invoice.payments.append(payment)
    session.flush()
    return payment


def _mismatches(
    invoice: SupplierInvoice, order_lines: dict[int, PurchaseOrderLine], tolerance: MatchTolerance
) -> Iterable[Mismatch]:
    total_expected = total_invoiced = ZERO_MONEY
    for line in invoice.lines:
        ordered = order_lines[line.purchase_order_line_id]
        open_qty = max(ordered.accepted_qty - ordered.invoiced_qty, Decimal(0))
        expected = (min(line.quantity, open_qty) * ordered.unit_price).quantize(_CENT)
        total_expected += expected
        total_invoiced += line.amount
        if _within(line.amount - expected, expected, tolerance.line_pct, tolerance.line_amount):
            continue
        sku = ordered.item.sku
        if line.quantity > open_qty:
            yield Mismatch(
                line_id=line.id, item_sku=sku, reason="quantity_not_received",
                expected=open_qty, invoiced=line.quantity, difference=line.quantity - open_qty,
            )  # fmt: skip
        if line.unit_price != ordered.unit_price:
            yield Mismatch(
                line_id=line.id, item_sku=sku, reason="price_differs",
                expected=ordered.unit_price, invoiced=line.unit_price, difference=line.unit_price - ordered.unit_price,
            )  # fmt: skip
    if not _within(total_invoiced - total_expected, total_expected, tolerance.total_pct, tolerance.total_amount):
        yield Mismatch(
            line_id=None, item_sku=None, reason="total_differs",
            expected=total_expected, invoiced=total_invoiced, difference=total_invoiced - total_expected,
        )  # fmt: skip


def _within(difference: Decimal, expected: Decimal, pct: Decimal, amount: Decimal) -> bool:
    """Within both limits: the percentage of the expected amount and the absolute amount."""
    return abs(difference) <= amount and abs(difference) <= expected * pct / 100


def _count_invoiced(invoice: SupplierInvoice) -> None:
    for line in invoice.lines:
        line.order_line.invoiced_qty += line.quantity


def _result(invoice: SupplierInvoice) -> MatchResult:
    return MatchResult(
        invoice_id=invoice.id,
        matched=invoice.match_status == MatchStatus.MATCHED,
        mismatches=[Mismatch.model_validate(m) for m in invoice.mismatches or []],
    )
