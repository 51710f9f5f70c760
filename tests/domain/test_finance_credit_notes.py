"""Credit notes: numbered, of lines or an amount, applied to invoices like payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.finance import credit_notes, payments, service
from domain.finance.models import CreditNote, InvoiceStatus
from domain.finance.schemas import CreditNoteLineCreate
from domain.inventory.service import reserve_for_order, ship_order
from tests.domain.test_finance import invoice_for
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive

ISSUED = date(2025, 3, 20)


def _issue(session: Session, customer_id: int, **fields: object) -> CreditNote:
    return credit_notes.issue_credit_note(session=session, customer_id=customer_id, reason="damaged in transit",
                                          actor="tester", issue_date=ISSUED, **fields)  # type: ignore[arg-type]


def test_credit_note_number_is_generated_from_the_id(session: Session) -> None:
    note = _issue(session, make_customer(session).id, amount=Decimal("5.00"))

    assert note.number == f"CN{note.id:06d}"


def test_credit_note_of_lines_totals_its_lines(session: Session) -> None:
    lines = [CreditNoteLineCreate(description="Widget returned", quantity=Decimal("3"), unit_price=Decimal("0.35")),
             CreditNoteLineCreate(description="Freight", quantity=Decimal("1"), unit_price=Decimal("12.00"))]

    note = _issue(session, make_customer(session).id, lines=lines)

    assert note.amount == Decimal("13.05")


def test_credit_note_needs_either_lines_or_an_amount(session: Session) -> None:
    with pytest.raises(InvalidInput, match="either lines or an amount"):
        _issue(session, make_customer(session).id)


def test_credit_note_for_an_invoice_reduces_its_open_amount(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")

    _issue(session, customer.id, amount=Decimal("4.00"), invoice_id=invoice.id)

    assert (invoice.status, invoice.open_amount, invoice.credited_amount) == (
        InvoiceStatus.PARTIALLY_PAID, Decimal("6.00"), Decimal("4.00"))


def test_credit_note_larger_than_the_invoice_keeps_the_rest_unapplied(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")

    note = _issue(session, customer.id, amount=Decimal("15.00"), invoice_id=invoice.id)

    assert (invoice.status, note.applied_amount, note.unapplied_amount) == (
        InvoiceStatus.PAID, Decimal("10.00"), Decimal("5.00"))


def test_credit_note_for_an_order_settles_its_open_invoices_oldest_first(session: Session) -> None:
    customer, item, warehouse = make_customer(session), make_item(session), make_warehouse(session)
    order = make_order(session, customer, (item, "2", "10.00"))
    invoices = []
    for issued in (date(2025, 3, 1), date(2025, 3, 5)):  # one unit delivered and invoiced at a time
        receive(session, item, warehouse, "1")
        reserve_for_order(session=session, order_id=order.id)
        ship_order(session=session, order_id=order.id, actor=ACTOR)
        invoices.append(service.create_invoice_for_order(session=session, order_id=order.id, issue_date=issued))

    note = _issue(session, customer.id, amount=Decimal("14.00"), sales_order_id=order.id)

    assert ([i.open_amount for i in invoices], note.unapplied_amount) == (
        [Decimal("0.00"), Decimal("6.00")], Decimal("0.00"))


def test_credit_note_for_another_customers_invoice_is_rejected(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")

    with pytest.raises(InvalidInput, match="another customer"):
        _issue(session, make_customer(session).id, amount=Decimal("1.00"), invoice_id=invoice.id)


def test_unapplied_credit_can_be_applied_to_a_later_invoice(session: Session) -> None:
    customer = make_customer(session)
    note = _issue(session, customer.id, amount=Decimal("3.00"))
    invoice = invoice_for(session, customer, "10.00")

    credit_notes.apply_credit_note(session=session, credit_note_id=note.id, amounts={invoice.id: None})

    assert (invoice.open_amount, note.unapplied_amount) == (Decimal("7.00"), Decimal("0.00"))


def test_payment_and_credit_note_together_settle_an_invoice(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    _issue(session, customer.id, amount=Decimal("2.50"), invoice_id=invoice.id)

    payment = payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("10.00"),
                                      paid_on=ISSUED)

    assert (invoice.status, payment.unallocated_amount) == (InvoiceStatus.PAID, Decimal("2.50"))

