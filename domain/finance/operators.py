"""Finance operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import InvalidInput
from domain.finance import credit_notes, payments, receivables, service
from domain.finance.models import Invoice, PaymentMethod
from domain.finance.schemas import PaymentAmount, Reference
from domain.operators import Operator

# Service tasks run on behalf of the process, not a person; the engine does not pass a user.
ACTOR = "system"


class CreateInvoiceParams(BaseModel):
    order_id: int = Field(gt=0)


class RecordPaymentParams(BaseModel):
    invoice_id: int = Field(gt=0)
    amount: PaymentAmount
    paid_on: date
    reference: Reference = ""


class AllocatePaymentParams(BaseModel):
    payment_id: int = Field(gt=0)
    invoice_id: int = Field(gt=0)
    amount: PaymentAmount | None = None  # None: as much as fits


class CreditCheckParams(BaseModel):
    customer_id: int = Field(gt=0)
    additional_amount: Decimal = Field(default=Decimal("0.00"), ge=0, max_digits=18, decimal_places=2)


class InvoiceStatusParams(BaseModel):
    invoice_id: int = Field(gt=0)
    as_of: date | None = None  # default: today


class IssueCreditNoteParams(BaseModel):
    customer_id: int = Field(gt=0)
    amount: PaymentAmount
    reason: str = Field(min_length=1, max_length=500)
    invoice_id: int | None = Field(default=None, gt=0)
    order_id: int | None = Field(default=None, gt=0)


class FindOverdueParams(BaseModel):
    as_of: date | None = None  # default: today
    grace_days: int = Field(default=5, ge=0)
    customer_id: int | None = Field(default=None, gt=0)


class CustomerParams(BaseModel):
    customer_id: int = Field(gt=0)


class ReceivePaymentParams(BaseModel):
    customer_id: int = Field(gt=0)
    amount: PaymentAmount
    paid_on: date
    reference: Reference = ""
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER


def create_invoice(*, session: Session, order_id: int) -> dict[str, Any]:
    """Invoice what has been delivered on an order."""
    invoice = service.create_invoice_for_order(session=session, order_id=order_id)
    return {
        "id": invoice.id,
        "number": invoice.number,
        "total": invoice.total,
        "currency": invoice.currency,
        "due_date": invoice.due_date.isoformat(),
    }


def record_payment(
    *, session: Session, invoice_id: int, amount: Decimal, paid_on: date, reference: str = ""
) -> dict[str, Any]:
    """Receive a payment for an invoice and allocate it; any excess stays unallocated on the customer."""
    payment = payments.record_payment(
        session=session, invoice_id=invoice_id, amount=amount, paid_on=paid_on, reference=reference or ""
    )
    invoice = service.get_invoice(session=session, invoice_id=invoice_id)
    return {
        "id": payment.id,
        "invoice_id": invoice.id,
        "invoice_status": invoice.status.value,
        "open_amount": invoice.open_amount,
        "allocated": payment.allocated_amount,
        "unallocated": payment.unallocated_amount,
    }


def receive_payment(
    *, session: Session, customer_id: int, amount: Decimal, paid_on: date, reference: str = "",
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
) -> dict[str, Any]:
    """Receive a customer payment without allocating it yet."""
    payment = payments.receive_payment(session=session, customer_id=customer_id, amount=amount, paid_on=paid_on,
                                       reference=reference, method=method)
    return {"id": payment.id, "customer_id": payment.customer_id, "amount": payment.amount,
            "unallocated": payment.unallocated_amount}


def allocate_payment(
    *, session: Session, payment_id: int, invoice_id: int, amount: Decimal | None = None
) -> dict[str, Any]:
    """Allocate (part of) a payment to an invoice."""
    (allocation,) = payments.allocate_payment(session=session, payment_id=payment_id, amounts={invoice_id: amount})
    return {
        "id": allocation.id,
        "payment_id": payment_id,
        "invoice_id": invoice_id,
        "amount": allocation.amount,
        "invoice_status": allocation.invoice.status.value,
        "open_amount": allocation.invoice.open_amount,
        "unallocated": allocation.payment.unallocated_amount,
    }


def credit_check(*, session: Session, customer_id: int, additional_amount: Decimal = Decimal("0.00")) -> dict[str, Any]:
    """Credit exposure against the limit, and whether an additional order amount would exceed it."""
    check = receivables.credit_check(session=session, customer_id=customer_id, additional_amount=additional_amount)
    history = receivables.payment_history(session=session, customer_id=customer_id)
    return check.model_dump() | {
        "average_days_to_pay": history.average_days_to_pay,
        "late_payments": history.late_payments,
        "open_overdue": history.open_overdue,
    }


def invoice_status(*, session: Session, invoice_id: int, as_of: date | None = None) -> dict[str, Any]:
    """Whether an invoice is paid, what is open on it, and how many days it is overdue."""
    invoice = service.get_invoice(session=session, invoice_id=invoice_id)
    return _status(invoice, as_of or clock.now().date())


def issue_credit_note(
    *, session: Session, customer_id: int, amount: Decimal, reason: str, invoice_id: int | None = None,
    order_id: int | None = None,
) -> dict[str, Any]:
    """Issue a credit note (e.g. a refund after a return), applied to the invoice or the order's open invoices."""
    note = credit_notes.issue_credit_note(session=session, customer_id=customer_id, amount=amount, reason=reason,
                                          invoice_id=invoice_id, sales_order_id=order_id, actor=ACTOR)
    return {
        "id": note.id,
        "number": note.number,
        "amount": note.amount,
        "applied": note.applied_amount,
        "unapplied": note.unapplied_amount,
        "invoice_ids": sorted({a.invoice_id for a in note.applications}),
    }


def find_overdue_invoices(
    *, session: Session, as_of: date | None = None, grace_days: int = 5, customer_id: int | None = None
) -> dict[str, Any]:
    """Invoices open grace_days or more after their due date (the overdue rule)."""
    rows = receivables.overdue_invoices(session=session, as_of=as_of or clock.now().date(), grace_days=grace_days,
                                        customer_id=customer_id)
    return {
        "overdue": bool(rows),
        "count": len(rows),
        "total_open": sum((r.open_amount for r in rows), Decimal("0.00")),
        "invoices": [r.model_dump(mode="json") for r in rows],
    }


def payment_history(*, session: Session, customer_id: int) -> dict[str, Any]:
    """How a customer pays (for the approval form)."""
    return receivables.payment_history(session=session, customer_id=customer_id).model_dump()


def _status(invoice: Invoice, as_of: date) -> dict[str, Any]:
    if as_of < invoice.issue_date:
        raise InvalidInput(f"invoice {invoice.number} was issued after {as_of.isoformat()}")
    return {
        "id": invoice.id,
        "number": invoice.number,
        "status": invoice.status.value,
        "paid": invoice.open_amount <= 0,
        "total": invoice.total,
        "open_amount": invoice.open_amount,
        "due_date": invoice.due_date.isoformat(),
        "days_overdue": invoice.days_overdue(as_of),
    }


OPERATORS: list[Operator] = [
    Operator(
        name="finance.create_invoice",
        func=create_invoice,
        params=CreateInvoiceParams,
        description="Invoice the delivered, not yet invoiced quantities of a sales order.",
    ),
    Operator(
        name="finance.record_payment",
        func=record_payment,
        params=RecordPaymentParams,
        description="Record a payment for an invoice and allocate it; an excess stays as the customer's credit.",
    ),
    Operator(
        name="finance.receive_payment",
        func=receive_payment,
        params=ReceivePaymentParams,
        description="Record a customer payment without allocating it yet; a repeated reference is a conflict.",
    ),
    Operator(
        name="finance.allocate_payment",
        func=allocate_payment,
        params=AllocatePaymentParams,
        description="Allocate (part of) a payment to an invoice; no amount allocates as much as fits.",
    ),
    Operator(
        name="finance.credit_check",
        func=credit_check,
        params=CreditCheckParams,
        description="Credit exposure (open AR + open orders) against the limit; would_exceed for an additional amount.",
    ),
    Operator(
        name="finance.invoice_status",
        func=invoice_status,
        params=InvoiceStatusParams,
        description="Paid or not, open amount and days overdue of an invoice.",
    ),
    Operator(
        name="finance.issue_credit_note",
        func=issue_credit_note,
        params=IssueCreditNoteParams,
        description="Issue a credit note for a customer, applied to an invoice or an order's open invoices.",
    ),
    Operator(
        name="finance.find_overdue_invoices",
        func=find_overdue_invoices,
        params=FindOverdueParams,
        description="Invoices still open grace_days or more after their due date.",
    ),
    Operator(
        name="finance.payment_history",
        func=payment_history,
        params=CustomerParams,
        description="A customer's average days to pay, late payments, overdue invoices and unallocated credit.",
    ),
]
