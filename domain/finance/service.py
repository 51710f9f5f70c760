"""Invoices: bill delivered goods and find invoices (payments and credit notes live beside). Flush, never commit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.errors import InvalidInput, NotFound
from domain.finance.models import Invoice, InvoiceLine, InvoiceStatus
from domain.sales.models import SalesOrderLine
from domain.sales.pricing import net_amount
from domain.sales.service import get_order


def create_invoice_for_order(*, session: Session, order_id: int, issue_date: date | None = None) -> Invoice:
    """Invoice the order's delivered, not yet invoiced quantities; due after the customer's payment terms."""
    order = get_order(session=session, order_id=order_id, for_update=True)
    billable = [(line, line.delivered_qty - line.invoiced_qty) for line in order.lines]
    billable = [(line, quantity) for line, quantity in billable if quantity > 0]
    if not billable:
        raise InvalidInput(f"order {order.number} has nothing delivered that is not invoiced yet")
    issued = issue_date or clock.now().date()
    lines = [_invoice_line(line, quantity) for line, quantity in billable]
    invoice = Invoice(
        number=f"pending-{uuid.uuid4().hex}",  # replaced by the id-based number below
        customer=order.customer,
        sales_order=order,
        currency=order.currency,
        issue_date=issued,
        due_date=issued + timedelta(days=order.customer.payment_terms_days),
        total=sum((line.amount for line in lines), Decimal("0.00")),
        lines=lines,
    )
    for line, quantity in billable:
        line.invoiced_qty += quantity
    session.add(invoice)
    session.flush()
    invoice.number = f"INV-{invoice.id:06d}"
    session.flush()
    return invoice


def get_invoice(*, session: Session, invoice_id: int, for_update: bool = False) -> Invoice:
    """The invoice with this id; for_update locks its row (and re-reads it) until the transaction ends."""
    query = select(Invoice).where(Invoice.id == invoice_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    invoice = session.scalar(query)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice


def list_invoices(
    *, session: Session, customer_id: int | None = None, sales_order_id: int | None = None
) -> list[Invoice]:
    """Invoices, oldest first, optionally one customer's or one order's."""
    query = select(Invoice).order_by(Invoice.id)
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    if sales_order_id is not None:
        query = query.where(Invoice.sales_order_id == sales_order_id)
    return list(session.scalars(query))


def search_invoices(
    *,
    session: Session,
    q: str = "",
    customer_id: int | None = None,
    status: InvoiceStatus | None = None,
    overdue_on: date | None = None,
) -> list[Invoice]:
    """Invoices, newest first, matching a number or customer code/name, of a customer, a status, or overdue on a date.

    Status and overdue are derived from allocations and credits, so they are filtered after loading.
    """
    query = select(Invoice).join(Customer, Invoice.customer_id == Customer.id).order_by(Invoice.id.desc())
    if q.strip():
        term = q.strip()
        query = query.where(Invoice.number.contains(term) | Customer.code.contains(term) | Customer.name.contains(term))
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    if overdue_on is not None:
        query = query.where(Invoice.due_date < overdue_on)
    invoices = list(session.scalars(query))
    if status is not None:
        invoices = [i for i in invoices if i.status is status]
    if overdue_on is not None:
        invoices = [i for i in invoices if i.open_amount > 0]
    return invoices


def open_amount(*, session: Session, invoice_id: int) -> Decimal:
    """What is still to be paid on the invoice."""
    return get_invoice(session=session, invoice_id=invoice_id).open_amount


def _invoice_line(line: SalesOrderLine, quantity: Decimal) -> InvoiceLine:
    # Bill the difference of cumulative amounts, so partial invoices of a line add up to its net amount
    # to the cent instead of drifting by each invoice's rounding.
    before = line.invoiced_qty
    price = {"unit_price": line.unit_price, "discount_pct": line.discount_pct}
    amount = net_amount(quantity=before + quantity, **price) - net_amount(quantity=before, **price)
    return InvoiceLine(
        sales_order_line_id=line.id,
        description=f"{line.item.sku} {line.item.name}"[:200],
        quantity=quantity,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        amount=amount,
    )
