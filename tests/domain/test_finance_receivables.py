"""Accounts receivable: aging by days past due, overdue invoices, credit exposure, payment history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain import clock
from domain.finance import credit_notes, payments, receivables
from tests.domain.test_finance import deliver, invoice_for
from tests.factories import make_customer, make_item, make_order

ISSUED = date(2025, 3, 1)
DUE = ISSUED + timedelta(days=30)  # the factory customer's payment terms


@pytest.fixture
def today() -> Iterator[date]:
    """The clock stopped on 2025-06-01."""
    clock.set_clock(lambda: datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    yield date(2025, 6, 1)
    clock.reset_clock()


@pytest.mark.parametrize(("days_past_due", "bucket"), [
    (-1, "not_yet_due"), (0, "days_0_30"), (30, "days_0_30"), (31, "days_31_60"), (60, "days_31_60"),
    (61, "days_61_90"), (90, "days_61_90"), (91, "days_over_90"),
])
def test_aging_puts_an_invoice_in_the_bucket_of_its_days_past_due(
    session: Session, days_past_due: int, bucket: str
) -> None:
    customer = make_customer(session)
    invoice_for(session, customer, "10.00")

    report = receivables.aging(session=session, as_of=DUE + timedelta(days=days_past_due), customer_id=customer.id)

    (row,) = report.rows
    assert {name: amount for name, amount in row.buckets if amount} == {bucket: Decimal("10.00")}


def test_aging_totals_per_customer_and_overall(session: Session) -> None:
    first, second = make_customer(session), make_customer(session)
    invoice_for(session, first, "10.00")
    invoice_for(session, first, "5.00", issued=ISSUED + timedelta(days=40))
    invoice_for(session, second, "7.25")
    as_of = DUE + timedelta(days=45)

    report = receivables.aging(session=session, as_of=as_of)

    rows = {row.customer_id: row for row in report.rows if row.customer_id in (first.id, second.id)}
    assert (rows[first.id].buckets.days_31_60, rows[first.id].buckets.days_0_30, rows[first.id].total) == (
        Decimal("10.00"), Decimal("5.00"), Decimal("15.00"))
    assert rows[second.id].total == Decimal("7.25")
    assert report.total == sum(row.total for row in report.rows) == report.totals.total


def test_aging_counts_only_what_was_paid_by_the_as_of_date(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("4.00"), paid_on=DUE)

    before = receivables.aging(session=session, as_of=DUE - timedelta(days=1), customer_id=customer.id)
    after = receivables.aging(session=session, as_of=DUE, customer_id=customer.id)

    assert (before.total, after.total) == (Decimal("10.00"), Decimal("6.00"))


def test_aging_leaves_out_settled_invoices(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    credit_notes.issue_credit_note(session=session, customer_id=customer.id, amount=Decimal("10.00"),
                                   reason="cancelled", actor="tester", invoice_id=invoice.id, issue_date=ISSUED)

    assert receivables.aging(session=session, as_of=DUE, customer_id=customer.id).rows == []


@pytest.mark.parametrize(("days_past_due", "overdue"), [(4, False), (5, True)])
def test_an_invoice_is_overdue_from_grace_days_after_its_due_date(
    session: Session, days_past_due: int, overdue: bool
) -> None:
    customer = make_customer(session)
    invoice_for(session, customer, "10.00")

    found = receivables.overdue_invoices(session=session, as_of=DUE + timedelta(days=days_past_due), grace_days=5,
                                         customer_id=customer.id)

    assert bool(found) is overdue


def test_a_paid_invoice_is_never_overdue(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("10.00"), paid_on=DUE)

    assert receivables.overdue_invoices(session=session, as_of=DUE + timedelta(days=60),
                                        customer_id=customer.id) == []


def test_exposure_is_open_ar_plus_open_order_value(session: Session) -> None:
    customer = make_customer(session, credit_limit=Decimal("100.00"))
    invoice = invoice_for(session, customer, "30.00")
    payments.record_payment(session=session, invoice_id=invoice.id, amount=Decimal("10.00"), paid_on=DUE)
    deliver(session, customer, "3", "1", "10.00")  # 1 delivered, not invoiced; 2 still to deliver
    make_order(session, customer, (make_item(session), "1", "7.50"))

    check = receivables.credit_check(session=session, customer_id=customer.id)

    assert (check.open_ar, check.open_orders, check.exposure, check.headroom) == (
        Decimal("20.00"), Decimal("37.50"), Decimal("57.50"), Decimal("42.50"))


@pytest.mark.parametrize(("additional", "would_exceed"), [("42.50", False), ("42.51", True)])
def test_credit_check_tells_whether_an_order_would_exceed_the_limit(
    session: Session, additional: str, would_exceed: bool
) -> None:
    customer = make_customer(session, credit_limit=Decimal("100.00"))
    invoice_for(session, customer, "57.50")

    check = receivables.credit_check(session=session, customer_id=customer.id, additional_amount=Decimal(additional))

    assert check.would_exceed is would_exceed


def test_payment_history_averages_days_to_pay_and_counts_late_payments(session: Session, today: date) -> None:
    customer = make_customer(session)
    on_time, late = invoice_for(session, customer, "10.00"), invoice_for(session, customer, "10.00")
    invoice_for(session, customer, "10.00")  # open and past due on the stopped clock
    payments.record_payment(session=session, invoice_id=on_time.id, amount=Decimal("10.00"),
                            paid_on=ISSUED + timedelta(days=20))
    payments.record_payment(session=session, invoice_id=late.id, amount=Decimal("10.00"),
                            paid_on=ISSUED + timedelta(days=45))

    history = receivables.payment_history(session=session, customer_id=customer.id)

    assert (history.invoices_paid, history.average_days_to_pay, history.late_payments, history.open_overdue) == (
        2, Decimal("32.5"), 1, 1)


def test_payment_history_reports_unallocated_credit(session: Session) -> None:
    customer = make_customer(session)
    payments.receive_payment(session=session, customer_id=customer.id, amount=Decimal("8.00"), paid_on=ISSUED)
    credit_notes.issue_credit_note(session=session, customer_id=customer.id, amount=Decimal("1.50"), reason="promo",
                                   actor="tester")

    history = receivables.payment_history(session=session, customer_id=customer.id)

    assert (history.invoices_paid, history.average_days_to_pay, history.unallocated_credit) == (
        0, None, Decimal("9.50"))
