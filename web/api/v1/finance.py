"""Invoices, payments and their allocation, credit notes, AR aging, overdue invoices and credit checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from domain import clock
from domain.errors import Forbidden
from domain.finance import credit_notes, payments, receivables, service
from domain.finance.models import InvoiceStatus
from domain.finance.operators import invoice_status as invoice_status_of
from domain.finance.schemas import (
    AgingReport,
    AllocationCreate,
    CreditCheck,
    CreditNoteCreate,
    CreditNoteRead,
    InvoiceRead,
    OverdueInvoice,
    PaymentCreate,
    PaymentHistory,
    PaymentRead,
)
from domain.identity.models import User
from web.deps import ApiUser, SessionDep

router = APIRouter(tags=["finance"])
FINANCE_GROUPS = {"finance", "admin"}
Limit = Annotated[int, Query(ge=1, le=500)]


def _require_finance(user: User) -> None:
    if not (user.group_names & FINANCE_GROUPS):
        raise Forbidden("only finance may record payments, allocate them or issue credit notes", code="not_finance")


@router.get("/invoices", response_model=list[InvoiceRead])
def list_invoices(session: SessionDep, user: ApiUser, q: str = "", customer_id: int | None = None,
                  status: InvoiceStatus | None = None, overdue: bool = False, limit: Limit = 100, offset: int = 0
                  ) -> list[InvoiceRead]:
    """Invoices, newest first; overdue=true keeps those open past their due date today."""
    rows = service.search_invoices(session=session, q=q, customer_id=customer_id, status=status,
                                   overdue_on=clock.now().date() if overdue else None)
    return [InvoiceRead.model_validate(i) for i in rows[max(offset, 0):max(offset, 0) + limit]]


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead)
def get_invoice(invoice_id: int, session: SessionDep, user: ApiUser) -> InvoiceRead:
    """One invoice with lines, allocations and credit applications."""
    return InvoiceRead.model_validate(service.get_invoice(session=session, invoice_id=invoice_id))


@router.get("/invoices/{invoice_id}/status")
def invoice_status(invoice_id: int, session: SessionDep, user: ApiUser, as_of: date | None = None
                   ) -> dict[str, Any]:
    """Paid or not, open amount and days overdue (as the finance.invoice_status operator answers)."""
    return invoice_status_of(session=session, invoice_id=invoice_id, as_of=as_of)


@router.get("/payments", response_model=list[PaymentRead])
def list_payments(session: SessionDep, user: ApiUser, customer_id: int | None = None, unallocated: bool = False,
                  q: str = "", limit: Limit = 100, offset: int = 0) -> list[PaymentRead]:
    """Payments, newest first; unallocated=true keeps those with money left to allocate."""
    rows = payments.list_payments(session=session, customer_id=customer_id, unallocated=unallocated, q=q,
                                  limit=limit, offset=max(offset, 0))
    return [PaymentRead.model_validate(p) for p in rows]


@router.post("/payments", response_model=PaymentRead, status_code=201)
def receive_payment(body: PaymentCreate, session: SessionDep, user: ApiUser) -> PaymentRead:
    """Record a customer's payment, unallocated; a reference already recorded for them is 409."""
    _require_finance(user)
    payment = payments.receive_payment(session=session, customer_id=body.customer_id, amount=body.amount,
                                       paid_on=body.paid_on, reference=body.reference, method=body.method)
    session.commit()
    return PaymentRead.model_validate(payment)


@router.get("/payments/{payment_id}", response_model=PaymentRead)
def get_payment(payment_id: int, session: SessionDep, user: ApiUser) -> PaymentRead:
    """One payment with its allocations."""
    return PaymentRead.model_validate(payments.get_payment(session=session, payment_id=payment_id))


@router.post("/payments/{payment_id}/allocations", response_model=PaymentRead, status_code=201)
def allocate_payment(payment_id: int, body: Annotated[list[AllocationCreate], Field(min_length=1)],
                     session: SessionDep, user: ApiUser) -> PaymentRead:
    """Allocate parts of the payment to invoices (an allocation without amount takes as much as fits)."""
    _require_finance(user)
    amounts: dict[int, Decimal | None] = {}
    for allocation in body:
        amounts[allocation.invoice_id] = allocation.amount
    payments.allocate_payment(session=session, payment_id=payment_id, amounts=amounts)
    session.commit()
    return PaymentRead.model_validate(payments.get_payment(session=session, payment_id=payment_id))


@router.get("/credit-notes", response_model=list[CreditNoteRead])
def list_credit_notes(session: SessionDep, user: ApiUser, customer_id: int | None = None, q: str = "",
                      limit: Limit = 100, offset: int = 0) -> list[CreditNoteRead]:
    """Credit notes, newest first."""
    rows = credit_notes.list_credit_notes(session=session, customer_id=customer_id, q=q, limit=limit,
                                          offset=max(offset, 0))
    return [CreditNoteRead.model_validate(n) for n in rows]


@router.post("/credit-notes", response_model=CreditNoteRead, status_code=201)
def issue_credit_note(body: CreditNoteCreate, session: SessionDep, user: ApiUser) -> CreditNoteRead:
    """Issue a credit note of lines or an amount; with an invoice or order it is applied to it at once."""
    _require_finance(user)
    note = credit_notes.issue_credit_note(
        session=session, customer_id=body.customer_id, reason=body.reason, actor=user.username, amount=body.amount,
        lines=body.lines, invoice_id=body.invoice_id, sales_order_id=body.sales_order_id, issue_date=body.issue_date,
    )
    session.commit()
    return CreditNoteRead.model_validate(note)


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteRead)
def get_credit_note(credit_note_id: int, session: SessionDep, user: ApiUser) -> CreditNoteRead:
    """One credit note with its lines and applications."""
    return CreditNoteRead.model_validate(credit_notes.get_credit_note(session=session, credit_note_id=credit_note_id))


@router.get("/ar/aging", response_model=AgingReport)
def aging(session: SessionDep, user: ApiUser, as_of: date | None = None, customer_id: int | None = None
          ) -> AgingReport:
    """Open AR per customer and in total by days past due (not yet due, 0-30, 31-60, 61-90, over 90)."""
    return receivables.aging(session=session, as_of=as_of or clock.now().date(), customer_id=customer_id)


@router.get("/ar/overdue", response_model=list[OverdueInvoice])
def overdue(session: SessionDep, user: ApiUser, as_of: date | None = None,
            grace_days: Annotated[int, Query(ge=0)] = 5, customer_id: int | None = None) -> list[OverdueInvoice]:
    """Invoices still open grace_days or more after their due date."""
    return receivables.overdue_invoices(session=session, as_of=as_of or clock.now().date(), grace_days=grace_days,
                                        customer_id=customer_id)


@router.get("/ar/credit-check/{customer_id}", response_model=CreditCheck)
def credit_check(customer_id: int, session: SessionDep, user: ApiUser,
                 additional_amount: Annotated[Decimal, Query(ge=0, max_digits=18, decimal_places=2)] = Decimal("0")
                 ) -> CreditCheck:
    """Exposure (open AR + open orders) against the credit limit, and whether an additional amount exceeds it."""
    return receivables.credit_check(session=session, customer_id=customer_id, additional_amount=additional_amount)


@router.get("/ar/payment-history/{customer_id}", response_model=PaymentHistory)
def payment_history(customer_id: int, session: SessionDep, user: ApiUser) -> PaymentHistory:
    """Average days to pay, late payments, overdue invoices and unallocated credit of a customer."""
    return receivables.payment_history(session=session, customer_id=customer_id)
