"""Accounts receivable: aging, overdue invoices, credit exposure and payment history. Read-only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.errors import NotFound
from domain.finance.models import ZERO, CreditApplication, CreditNote, Invoice, Payment, PaymentAllocation
from domain.finance.schemas import AgingBuckets, AgingReport, AgingRow, CreditCheck, OverdueInvoice, PaymentHistory
from domain.sales.models import SalesOrder, SalesOrderLine
from domain.sales.pricing import net_amount

BUCKETS = ("not_yet_due", "days_0_30", "days_31_60", "days_61_90", "days_over_90")


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice with what was open on it at a date."""

    invoice: Invoice
    open_amount: Decimal


def bucket_of(days_past_due: int) -> str:
    """The aging bucket for (as_of - due_date) in days.

    Edges: < 0 not yet due; 0..30 (the due date itself counts as 0); 31..60; 61..90; 91 and more is over 90.
    """
    if days_past_due < 0:
        return "not_yet_due"
    if days_past_due <= 30:
        return "days_0_30"
    if days_past_due <= 60:
        return "days_31_60"
    if days_past_due <= 90:
        return "days_61_90"
    return "days_over_90"


def open_invoices(*, session: Session, as_of: date, customer_id: int | None = None) -> list[OpenInvoice]:
    """Invoices issued by as_of with something open at as_of (allocations and credits dated later do not count)."""
    query = select(Invoice).where(Invoice.issue_date <= as_of).order_by(Invoice.due_date, Invoice.id)
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    invoices = list(session.scalars(query))
    settled = _settled_by_invoice(session, [i.id for i in invoices], as_of)
    result = [OpenInvoice(i, i.total - settled[i.id]) for i in invoices]
    return [row for row in result if row.open_amount > 0]


def aging(*, session: Session, as_of: date, customer_id: int | None = None) -> AgingReport:
    """Open AR per customer and in total, by days past due at as_of (buckets: see bucket_of)."""
    by_customer: dict[int, AgingBuckets] = defaultdict(AgingBuckets)
    customers: dict[int, Customer] = {}
    for row in open_invoices(session=session, as_of=as_of, customer_id=customer_id):
        invoice = row.invoice
        customers[invoice.customer_id] = invoice.customer
        buckets = by_customer[invoice.customer_id]
        name = bucket_of((as_of - invoice.due_date).days)
        setattr(buckets, name, getattr(buckets, name) + row.open_amount)
    rows = [
        AgingRow(customer_id=c.id, customer_code=c.code, customer_name=c.name, currency=c.currency,
                 buckets=by_customer[c.id], total=by_customer[c.id].total)
        for c in sorted(customers.values(), key=lambda c: c.code)
    ]
    totals = AgingBuckets(**{name: sum((getattr(r.buckets, name) for r in rows), ZERO) for name in BUCKETS})
    return AgingReport(as_of=as_of, rows=rows, totals=totals, total=totals.total)


def overdue_invoices(
    *, session: Session, as_of: date, grace_days: int = 5, customer_id: int | None = None
) -> list[OverdueInvoice]:
    """Invoices still open at as_of at least grace_days (and at least one day) past their due date, oldest due first."""
    threshold = max(grace_days, 1)
    result = []
    for row in open_invoices(session=session, as_of=as_of, customer_id=customer_id):
        invoice = row.invoice
        days = (as_of - invoice.due_date).days
        if days >= threshold:
            result.append(OverdueInvoice(
                invoice_id=invoice.id, number=invoice.number, customer_id=invoice.customer_id,
                customer_code=invoice.customer.code, owner=invoice.customer.owner, currency=invoice.currency,
                due_date=invoice.due_date, open_amount=row.open_amount, days_overdue=days,
            ))
    return result


def open_order_value(*, session: Session, customer_id: int) -> Decimal:
    """What the customer's orders still hold that is not invoiced: (quantity - invoiced) at the net unit price."""
    query = (select(SalesOrderLine).join(SalesOrder, SalesOrderLine.order_id == SalesOrder.id)
             .where(SalesOrder.customer_id == customer_id, SalesOrderLine.invoiced_qty < SalesOrderLine.quantity))
    total = ZERO
    for line in session.scalars(query):
        price = {"unit_price": line.unit_price, "discount_pct": line.discount_pct}
        # The difference of cumulative amounts is exactly what the remaining invoices will bill (see service).
        total += net_amount(quantity=line.quantity, **price) - net_amount(quantity=line.invoiced_qty, **price)
    return total


def credit_check(*, session: Session, customer_id: int, additional_amount: Decimal = ZERO) -> CreditCheck:
    """Exposure (open AR + open order value) against the credit limit, and whether additional_amount would exceed it."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    # Exposure counts every invoice and every settlement recorded, whatever their dates.
    rows = open_invoices(session=session, as_of=date.max, customer_id=customer_id)
    open_ar = sum((row.open_amount for row in rows), ZERO)
    orders = open_order_value(session=session, customer_id=customer_id)
    exposure = open_ar + orders
    return CreditCheck(
        customer_id=customer.id, currency=customer.currency, open_ar=open_ar, open_orders=orders, exposure=exposure,
        limit=customer.credit_limit, headroom=customer.credit_limit - exposure, additional_amount=additional_amount,
        would_exceed=exposure + additional_amount > customer.credit_limit,
    )


def payment_history(*, session: Session, customer_id: int) -> PaymentHistory:
    """How the customer pays: average days from issue to settlement, late settlements, overdue now, spare credit."""
    today = clock.now().date()
    invoices = list(session.scalars(select(Invoice).where(Invoice.customer_id == customer_id)))
    paid_days: list[int] = []
    late = overdue = 0
    for invoice in invoices:
        if invoice.open_amount > 0:
            overdue += invoice.due_date < today
            continue
        dates = [a.allocated_on for a in invoice.allocations] + [a.applied_on for a in invoice.credit_applications]
        settled_on = max(dates, default=invoice.issue_date)
        paid_days.append((settled_on - invoice.issue_date).days)
        late += settled_on > invoice.due_date
    average = None
    if paid_days:
        average = (Decimal(sum(paid_days)) / len(paid_days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return PaymentHistory(customer_id=customer_id, invoices_paid=len(paid_days), average_days_to_pay=average,
                          late_payments=late, open_overdue=overdue,
                          unallocated_credit=unallocated_credit(session=session, customer_id=customer_id))


def unallocated_credit(*, session: Session, customer_id: int) -> Decimal:
    """Unallocated payments plus unapplied credit notes: money the customer has with us."""
    payments = session.scalars(select(Payment).where(Payment.customer_id == customer_id))
    notes = session.scalars(select(CreditNote).where(CreditNote.customer_id == customer_id))
    return sum((p.unallocated_amount for p in payments), ZERO) + sum((n.unapplied_amount for n in notes), ZERO)


def _settled_by_invoice(session: Session, invoice_ids: list[int], as_of: date) -> dict[int, Decimal]:
    # Summed in Python: SQLite sums NUMERIC as floating point, and AR must be exact to the cent.
    settled: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start:start + 500]
        allocations = select(PaymentAllocation.invoice_id, PaymentAllocation.amount).where(
            PaymentAllocation.invoice_id.in_(chunk), PaymentAllocation.allocated_on <= as_of)
        credits = select(CreditApplication.invoice_id, CreditApplication.amount).where(
            CreditApplication.invoice_id.in_(chunk), CreditApplication.applied_on <= as_of)
        for invoice_id, amount in [*session.execute(allocations), *session.execute(credits)]:
            settled[invoice_id] += amount
    return settled

