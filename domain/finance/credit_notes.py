"""Credit notes ("CN000123"): reductions of what a customer owes, applied to invoices. Services flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import InvalidInput, NotFound
from domain.finance.models import CreditApplication, CreditNote, CreditNoteLine, Invoice
from domain.finance.schemas import CreditNoteLineCreate
from domain.finance.service import get_invoice
from domain.finance.settlement import check_amount, lock_customer, plan
from domain.sales.pricing import net_amount
from domain.sales.service import get_order


def issue_credit_note(
    *,
    session: Session,
    customer_id: int,
    reason: str,
    actor: str,
    amount: Decimal | None = None,
    lines: Sequence[CreditNoteLineCreate] = (),
    invoice_id: int | None = None,
    sales_order_id: int | None = None,
    issue_date: date | None = None,
) -> CreditNote:
    """Issue a credit note of lines or an amount; with an invoice or an order it is applied to their open invoices."""
    if (amount is None) == (not lines):
        raise InvalidInput("a credit note has either lines or an amount")
    if not reason.strip():
        raise InvalidInput("a credit note needs a reason")
    note_lines = [_line(line) for line in lines]
    total = sum((line.amount for line in note_lines), Decimal("0.00")) if note_lines else amount
    assert total is not None
    check_amount(total, "credit note amount")
    customer = lock_customer(session, customer_id)
    targets = _targets(session, customer_id=customer_id, invoice_id=invoice_id, sales_order_id=sales_order_id)
    if invoice_id is not None and sales_order_id is None:
        sales_order_id = targets[0].sales_order_id
    note = CreditNote(
        number=f"pending-{uuid.uuid4().hex}",  # the id-based number is set once the id exists
        customer=customer,
        invoice_id=invoice_id,
        sales_order_id=sales_order_id,
        currency=targets[0].currency if targets else customer.currency,
        issue_date=issue_date or clock.now().date(),
        amount=total,
        reason=reason.strip(),
        created_by=actor,
        lines=note_lines,
    )
    session.add(note)
    session.flush()
    note.number = f"CN{note.id:06d}"
    session.flush()
    open_targets = [invoice.id for invoice in targets if invoice.open_amount > 0]
    if open_targets:
        apply_credit_note(session=session, credit_note_id=note.id, amounts=dict.fromkeys(open_targets),
                          applied_on=note.issue_date)
    return note


def get_credit_note(*, session: Session, credit_note_id: int, for_update: bool = False) -> CreditNote:
    """The credit note with this id; for_update locks its row (and re-reads it)."""
    query = select(CreditNote).where(CreditNote.id == credit_note_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    note = session.scalar(query)
    if note is None:
        raise NotFound(f"credit note {credit_note_id} not found")
    return note


def apply_credit_note(
    *,
    session: Session,
    credit_note_id: int,
    amounts: Mapping[int, Decimal | None],
    applied_on: date | None = None,
) -> list[CreditApplication]:
    """Apply parts of a credit note to invoices ({invoice_id: amount or None for as much as fits})."""
    note = get_credit_note(session=session, credit_note_id=credit_note_id, for_update=True)
    session.refresh(note, ["applications"])
    splits = plan(
        session,
        customer_id=note.customer_id,
        currency=note.currency,
        available=note.unapplied_amount,
        amounts=amounts,
        source=f"credit note {note.number}",
    )
    on = applied_on or max(note.issue_date, clock.now().date())
    applications = [CreditApplication(credit_note=note, invoice=invoice, amount=amount, applied_on=on)
                    for invoice, amount in splits]
    session.add_all(applications)
    session.flush()
    return applications


def list_credit_notes(
    *, session: Session, customer_id: int | None = None, q: str = "", limit: int = 100, offset: int = 0
) -> list[CreditNote]:
    """Credit notes, newest first, optionally one customer's or matching a number or reason."""
    query = select(CreditNote).order_by(CreditNote.id.desc())
    if customer_id is not None:
        query = query.where(CreditNote.customer_id == customer_id)
    if q.strip():
        query = query.where(CreditNote.number.contains(q.strip()) | CreditNote.reason.contains(q.strip()))
    return list(session.scalars(query.limit(limit).offset(offset)))


def _targets(
    session: Session, *, customer_id: int, invoice_id: int | None, sales_order_id: int | None
) -> list[Invoice]:
    """The invoices a new credit note is applied to: the one named, else the order's, oldest first."""
    if invoice_id is not None:
        invoice = get_invoice(session=session, invoice_id=invoice_id)
        if invoice.customer_id != customer_id:
            raise InvalidInput(f"invoice {invoice.number} belongs to another customer")
        if sales_order_id is not None and invoice.sales_order_id != sales_order_id:
            raise InvalidInput(f"invoice {invoice.number} is not an invoice of order {sales_order_id}")
        return [invoice]
    if sales_order_id is None:
        return []
    order = get_order(session=session, order_id=sales_order_id)
    if order.customer_id != customer_id:
        raise InvalidInput(f"order {order.number} belongs to another customer")
    query = select(Invoice).where(Invoice.sales_order_id == order.id).order_by(Invoice.issue_date, Invoice.id)
    return list(session.scalars(query))


def _line(line: CreditNoteLineCreate) -> CreditNoteLine:
    amount = net_amount(quantity=line.quantity, unit_price=line.unit_price, discount_pct=Decimal("0"))
    return CreditNoteLine(description=line.description, quantity=line.quantity, unit_price=line.unit_price,
                          amount=amount)
