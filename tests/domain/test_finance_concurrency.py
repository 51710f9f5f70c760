"""Two transactions settling the same invoice or receiving the same payment: row locks make the second wait."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import Conflict, FlowdeskError, InvalidInput
from domain.finance import credit_notes, payments, service
from tests.domain.test_finance import invoice_for
from tests.factories import make_customer

PAID = date(2025, 3, 10)


def _race(maker: sessionmaker[Session], first: Callable[[Session], object], second: Callable[[Session], object]
          ) -> list[BaseException]:
    """Run first in a transaction that holds its locks while second starts; the errors second raised."""
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with maker.begin() as other:
                second(other)
        except FlowdeskError as exc:
            errors.append(exc)

    with maker() as holder:
        first(holder)
        racer = threading.Thread(target=run_second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second transaction should wait for the first one's locks"
        holder.commit()
    racer.join(timeout=30)
    return errors


def test_two_payments_cannot_both_settle_the_same_open_amount(committing_sessionmaker: sessionmaker[Session]
                                                               ) -> None:
    with committing_sessionmaker.begin() as setup:
        customer = make_customer(setup)
        invoice_id = invoice_for(setup, customer, "10.00").id
        one, two = (payments.receive_payment(session=setup, customer_id=customer.id, amount=Decimal("8.00"),
                                             paid_on=PAID).id for _ in range(2))

    def allocate(payment_id: int) -> Callable[[Session], object]:
        return lambda s: payments.allocate_payment(session=s, payment_id=payment_id,
                                                   amounts={invoice_id: Decimal("8.00")})

    errors = _race(committing_sessionmaker, allocate(one), allocate(two))

    assert [type(e) for e in errors] == [InvalidInput]
    with committing_sessionmaker() as check:
        assert service.get_invoice(session=check, invoice_id=invoice_id).open_amount == Decimal("2.00")


def test_a_payment_and_a_credit_note_cannot_both_settle_the_same_open_amount(
    committing_sessionmaker: sessionmaker[Session],
) -> None:
    with committing_sessionmaker.begin() as setup:
        customer = make_customer(setup)
        invoice_id = invoice_for(setup, customer, "10.00").id
        customer_id = customer.id
        note_id = credit_notes.issue_credit_note(session=setup, customer_id=customer_id, amount=Decimal("7.00"),
                                                 reason="goodwill", actor="tester").id

    errors = _race(
        committing_sessionmaker,
        lambda s: payments.record_payment(session=s, invoice_id=invoice_id, amount=Decimal("7.00"), paid_on=PAID),
        lambda s: credit_notes.apply_credit_note(session=s, credit_note_id=note_id,
                                                 amounts={invoice_id: Decimal("7.00")}),
    )

    assert [type(e) for e in errors] == [InvalidInput]


def test_the_same_reference_received_twice_at_once_is_one_payment(committing_sessionmaker: sessionmaker[Session]
                                                                 ) -> None:
    with committing_sessionmaker.begin() as setup:
        customer_id = make_customer(setup).id
    reference = f"TT-{uuid.uuid4().hex[:8]}"

    def receive(s: Session) -> object:
        return payments.receive_payment(session=s, customer_id=customer_id, amount=Decimal("5.00"), paid_on=PAID,
                                        reference=reference)

    errors = _race(committing_sessionmaker, receive, receive)

    assert [type(e) for e in errors] == [Conflict]
    with committing_sessionmaker() as check:
        assert len(payments.list_payments(session=check, customer_id=customer_id)) == 1

