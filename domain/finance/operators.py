"""Finance operations that service tasks may call (collected by the engine's registry)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain.finance import service
from domain.finance.schemas import PaymentAmount
from domain.operators import Operator


class CreateInvoiceParams(BaseModel):
    order_id: int = Field(gt=0)


class RecordPaymentParams(BaseModel):
    invoice_id: int = Field(gt=0)
    amount: PaymentAmount
    paid_on: date
    reference: str = Field(default="", max_length=100)


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
    """Record a customer payment against an invoice."""
    payment = service.record_payment(
        session=session, invoice_id=invoice_id, amount=amount, paid_on=paid_on, reference=reference
    )
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "invoice_status": payment.invoice.status.value,
        "open_amount": payment.invoice.open_amount,
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
        description="Record a payment against an invoice; over-payment is rejected.",
    ),
]
