"""Payments received from customers and their allocation to invoices. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, NotFound
from domain.finance.models import Payment, PaymentAllocation, PaymentMethod
from domain.finance.service import get_invoice
from domain.finance.settlement import check_amount, lock_customer, plan


def receive_payment(
    *,
    session: Session,
    customer_id: int,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
    currency: str | None = None,
) -> Payment:
    """Record money received from a customer, not yet allocated; a reference seen before for them is a Conflict."""
    customer = lock_customer(session, customer_id)  # two receipts of one reference wait here for each other
    check_amount(amount, "payment amount")
    reference = (reference or "").strip()
    if reference:
        seen = session.scalar(
            select(Payment.id).where(Payment.customer_id == customer_id, Payment.reference == reference)
        )
        if seen is not None:
            raise Conflict(
                f"payment {reference!r} of customer {customer.code} is already recorded (payment {seen})",
                code="duplicate_payment",
            )
    payment = Payment(
        customer=customer,
        amount=amount,
        currency=currency or customer.currency,
        paid_on=paid_on,
        reference=reference,
        method=method,
    )
    session.add(payment)
    session.flush()
    return payment


def get_payment(*, session: Session, payment_id: int, for_update: bool = False) -> Payment:
    """The payment with this id; for_update locks its row (and re-reads it) until the transaction ends."""
    query = select(Payment).where(Payment.id == payment_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    payment = session.scalar(query)
    if payment is None:
        raise NotFound(f"payment {payment_id} not found")
    return payment


def allocate_payment(
    *,
    session: Session,
    payment_id: int,
    amounts: Mapping[int, Decimal | None],
    allocated_on: date | None = None,
) -> list[PaymentAllocation]:
    """Allocate parts of a payment to invoices ({invoice_id: amount or None for as much as fits}).

    Never more than the payment's unallocated amount, nor more than an invoice's open amount.
    """
    payment = get_payment(session=session, payment_id=payment_id, for_update=True)
    session.refresh(payment, ["allocations"])  # other transactions' allocations, committed before our lock
    splits = plan(
        session,
        customer_id=payment.customer_id,
        currency=payment.currency,
        available=payment.unallocated_amount,
        amounts=amounts,
        source=f"payment {payment.id}",
    )
    on = allocated_on or max(payment.paid_on, clock.now().date())
    allocations = [PaymentAllocation(payment=payment, invoice=invoice, amount=amount, allocated_on=on)
                   for invoice, amount in splits]
    session.add_all(allocations)
    session.flush()
    return allocations


def record_payment(
    *,
    session: Session,
    invoice_id: int,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
) -> Payment:
    """Receive a payment for an invoice and allocate what the invoice still needs; any excess stays as credit."""
    invoice = get_invoice(session=session, invoice_id=invoice_id)
    payment = receive_payment(
        session=session,
        customer_id=invoice.customer_id,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        method=method,
        currency=invoice.currency,
    )
    if invoice.open_amount > 0:
        allocate_payment(session=session, payment_id=payment.id, amounts={invoice.id: None}, allocated_on=paid_on)
    return payment


def list_payments(
    *,
    session: Session,
    customer_id: int | None = None,
    unallocated: bool = False,
    q: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[Payment]:
    """Payments, newest first; unallocated=True keeps those with money left to allocate."""
    query = select(Payment).order_by(Payment.paid_on.desc(), Payment.id.desc())
    if customer_id is not None:
        query = query.where(Payment.customer_id == customer_id)
    if q.strip():
        query = query.where(Payment.reference.contains(q.strip()))
    if not unallocated:
        return list(session.scalars(query.limit(limit).offset(offset)))
    # The remainder is derived, so filter after loading (per customer this stays small).
    open_payments = [p for p in session.scalars(query) if p.unallocated_amount > 0]
    return open_payments[offset:offset + limit]


def unallocated_payments(*, session: Session, customer_id: int) -> list[Payment]:
    """A customer's payments with money left to allocate, oldest first."""
    query = select(Payment).where(Payment.customer_id == customer_id).order_by(Payment.paid_on, Payment.id)
    return [p for p in session.scalars(query) if p.unallocated_amount > 0]
