"""Payments received from customers and allocated to invoices: partial, over- and under-payment, duplicates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from domain.finance import payments
from domain.finance.models import InvoiceStatus, PaymentMethod
from tests.domain.test_finance import invoice_for
from tests.factories import make_customer

PAID = date(2025, 3, 10)


def _receive(session: Session, customer_id: int, amount: str, reference: str = "") -> payments.Payment:
    return payments.receive_payment(session=session, customer_id=customer_id, amount=Decimal(amount), paid_on=PAID,
                                    reference=reference)


def test_a_received_payment_is_unallocated_credit_of_the_customer(session: Session) -> None:
    customer = make_customer(session)

    payment = _receive(session, customer.id, "50.00")

    assert (payment.unallocated_amount, payment.currency, payment.method) == (
        Decimal("50.00"), customer.currency, PaymentMethod.BANK_TRANSFER)


def test_partial_payment_leaves_the_invoice_partially_paid(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")

    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("4.00"), paid_on=PAID)

    assert (invoice.status, invoice.open_amount) == (InvoiceStatus.PARTIALLY_PAID, Decimal("6.00"))


def test_paying_the_open_amount_marks_the_invoice_paid(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")
    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("4.00"), paid_on=PAID)

    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("6.00"), paid_on=PAID)

    assert invoice.status is InvoiceStatus.PAID


def test_over_payment_settles_the_invoice_and_leaves_the_excess_unallocated(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")

    payment = payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("12.50"), paid_on=PAID)

    assert (invoice.status, payment.allocated_amount, payment.unallocated_amount) == (
        InvoiceStatus.PAID, Decimal("10.00"), Decimal("2.50"))


def test_unallocated_credit_can_be_allocated_to_a_later_invoice(session: Session) -> None:
    customer = make_customer(session)
    first, second = invoice_for(session, customer, "10.00"), invoice_for(session, customer, "8.00")
    payment = payments.record_payment(session=session, invoice_id=first.id, amount=Decimal("15.00"), paid_on=PAID)

    payments.allocate_payment(session=session, payment_id=payment.id, amounts={second.id: None})

    assert (second.open_amount, payment.unallocated_amount) == (Decimal("3.00"), Decimal("0.00"))


def test_one_payment_can_be_split_over_several_invoices(session: Session) -> None:
    customer = make_customer(session)
    first, second = invoice_for(session, customer, "10.00"), invoice_for(session, customer, "8.00")
    payment = _receive(session, customer.id, "18.00")

    payments.allocate_payment(session=session, payment_id=payment.id,
                              amounts={first.id: Decimal("10.00"), second.id: Decimal("8.00")})

    assert [first.status, second.status, payment.unallocated_amount] == [
        InvoiceStatus.PAID, InvoiceStatus.PAID, Decimal("0.00")]


def test_allocating_more_than_the_payment_holds_is_rejected(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payment = _receive(session, customer.id, "5.00")

    with pytest.raises(InvalidInput, match="only 5.00 left"):
        payments.allocate_payment(session=session, payment_id=payment.id, amounts={invoice.id: Decimal("6.00")})


def test_allocating_more_than_the_invoice_open_amount_is_rejected(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payment = _receive(session, customer.id, "50.00")

    with pytest.raises(InvalidInput, match="exceeds the open amount 10.00"):
        payments.allocate_payment(session=session, payment_id=payment.id, amounts={invoice.id: Decimal("10.01")})


def test_allocating_to_another_customers_invoice_is_rejected(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")
    payment = _receive(session, make_customer(session).id, "10.00")

    with pytest.raises(InvalidInput, match="another customer"):
        payments.allocate_payment(session=session, payment_id=payment.id, amounts={invoice.id: None})


def test_allocating_to_a_paid_invoice_is_rejected(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("10.00"), paid_on=PAID)
    payment = _receive(session, customer.id, "5.00")

    with pytest.raises(InvalidInput, match="nothing"):
        payments.allocate_payment(session=session, payment_id=payment.id, amounts={invoice.id: None})


def test_a_repeated_reference_for_the_same_customer_is_a_conflict(session: Session) -> None:
    customer = make_customer(session)
    _receive(session, customer.id, "10.00", reference="TT-2025-001")

    with pytest.raises(Conflict, match="already recorded"):
        _receive(session, customer.id, "10.00", reference="TT-2025-001")


def test_the_same_reference_from_another_customer_is_a_different_payment(session: Session) -> None:
    _receive(session, make_customer(session).id, "10.00", reference="TT-2025-002")

    other = _receive(session, make_customer(session).id, "10.00", reference="TT-2025-002")

    assert other.id is not None


def test_payments_without_a_reference_are_never_duplicates(session: Session) -> None:
    customer = make_customer(session)
    _receive(session, customer.id, "10.00")

    assert _receive(session, customer.id, "10.00").amount == Decimal("10.00")


def test_a_payment_with_fractions_of_a_cent_is_rejected(session: Session) -> None:
    with pytest.raises(InvalidInput, match="two decimal places"):
        _receive(session, make_customer(session).id, "1.005")


def test_unallocated_filter_lists_only_payments_with_money_left(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("10.00"), paid_on=PAID)
    spare = _receive(session, customer.id, "3.00")

    listed = payments.list_payments(session=session, customer_id=customer.id, unallocated=True)

    assert [p.id for p in listed] == [spare.id]
