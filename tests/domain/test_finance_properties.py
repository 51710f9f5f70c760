"""Property: any sequence of invoices, payments, allocations and credit notes keeps receivables exact to the cent.

AR = invoices - allocated payments - applied credit notes, per customer and in total; nothing is ever allocated
beyond a payment, a credit note or an invoice's open amount; and the services accept exactly what fits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.errors import InvalidInput
from domain.finance import credit_notes, payments, receivables
from domain.finance.models import CreditApplication, CreditNote, Invoice, Payment, PaymentAllocation
from tests.domain.test_finance import invoice_for
from tests.factories import make_customer

ZERO = Decimal("0.00")
ON = date(2025, 3, 1)
AS_OF = date(2100, 1, 1)  # after every date used: everything recorded counts
# Round amounts collide often, so a payment exactly fits, or misses an invoice by a cent.
AMOUNT = st.one_of(
    st.sampled_from(["0.01", "4.99", "5.00", "5.01", "10.00"]).map(Decimal),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30"), places=2),
)
MAYBE = st.one_of(st.none(), AMOUNT)
WHO = st.integers(0, 1)
PICK = st.integers(0, 99)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), WHO, AMOUNT),
        st.tuples(st.just("receive"), WHO, AMOUNT),
        st.tuples(st.just("record"), PICK, AMOUNT),
        st.tuples(st.just("allocate"), PICK, PICK, MAYBE),
        st.tuples(st.just("credit"), WHO, AMOUNT, st.one_of(st.none(), PICK)),
        st.tuples(st.just("apply"), PICK, PICK, MAYBE),
    ),
    min_size=3,
    max_size=20,
)
OPENING = st.lists(st.tuples(st.just("invoice"), WHO, AMOUNT), min_size=1, max_size=3)


class World:
    """The example's customers and documents, with what the test expects to be open and left on each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.customers: list[Customer] = [make_customer(session), make_customer(session)]
        self.invoices: list[Invoice] = []
        self.payments: list[Payment] = []
        self.notes: list[CreditNote] = []
        self.open: dict[int, Decimal] = {}  # invoice id -> expected open amount
        self.left: dict[tuple[str, int], Decimal] = {}  # ("payment" | "note", id) -> expected unallocated

    def apply(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        getattr(self, kind)(*args)

    def invoice(self, who: int, total: Decimal) -> None:
        invoice = invoice_for(self.session, self.customers[who], str(total), issued=ON)
        self.invoices.append(invoice)
        self.open[invoice.id] = total

    def receive(self, who: int, amount: Decimal) -> None:
        payment = payments.receive_payment(session=self.session, customer_id=self.customers[who].id, amount=amount,
                                           paid_on=ON)
        self.payments.append(payment)
        self.left["payment", payment.id] = amount

    def record(self, pick: int, amount: Decimal) -> None:
        invoice = self._invoice(pick)
        payment = payments.record_payment(session=self.session, invoice_id=invoice.id, amount=amount, paid_on=ON)
        self.payments.append(payment)
        allocated = min(amount, self.open[invoice.id])
        self.open[invoice.id] -= allocated
        self.left["payment", payment.id] = amount - allocated

    def allocate(self, pick_payment: int, pick_invoice: int, amount: Decimal | None) -> None:
        if not self.payments:
            return
        payment = self.payments[pick_payment % len(self.payments)]
        self._settle("payment", payment.id, payment.customer_id, self._invoice(pick_invoice, payment.customer_id),
                     amount,
                     lambda invoice_id: payments.allocate_payment(
                         session=self.session, payment_id=payment.id, amounts={invoice_id: amount}))

    def credit(self, who: int, amount: Decimal, pick: int | None) -> None:
        customer = self.customers[who]
        invoice = self._invoice(pick) if pick is not None else None
        if invoice is not None and invoice.customer_id != customer.id:
            invoice = None
        note = credit_notes.issue_credit_note(session=self.session, customer_id=customer.id, amount=amount,
                                              reason="property", actor="tester", issue_date=ON,
                                              invoice_id=invoice.id if invoice else None)
        self.notes.append(note)
        applied = min(amount, self.open[invoice.id]) if invoice else ZERO
        if invoice:
            self.open[invoice.id] -= applied
        self.left["note", note.id] = amount - applied

    def apply_(self, pick_note: int, pick_invoice: int, amount: Decimal | None) -> None:
        if not self.notes:
            return
        note = self.notes[pick_note % len(self.notes)]
        self._settle("note", note.id, note.customer_id, self._invoice(pick_invoice, note.customer_id), amount,
                     lambda invoice_id: credit_notes.apply_credit_note(
                         session=self.session, credit_note_id=note.id, amounts={invoice_id: amount}))

    def _settle(self, kind: str, source_id: int, customer_id: int, invoice: Invoice, amount: Decimal | None,
                action: Any) -> None:
        """Predict whether the service must accept, then check it did exactly that."""
        left, open_amount = self.left[kind, source_id], self.open[invoice.id]
        expected = min(left, open_amount) if amount is None else amount
        fits = invoice.customer_id == customer_id and ZERO < expected <= min(left, open_amount)
        try:
            action(invoice.id)
        except InvalidInput:
            assert not fits, f"{kind} {source_id}: {expected} fits on {invoice.number} but was refused"
            return
        assert fits, f"{kind} {source_id}: {expected} does not fit on {invoice.number} but was accepted"
        self.left[kind, source_id] -= expected
        self.open[invoice.id] -= expected

    def _invoice(self, pick: int, customer_id: int | None = None) -> Invoice:
        """An invoice, mostly (3 picks in 4) one of customer_id's when it has any; the opening made one."""
        own = [i for i in self.invoices if i.customer_id == customer_id]
        choices = own if own and pick % 4 else self.invoices
        return choices[pick % len(choices)]


def _assert_receivables_exact(world: World) -> None:
    session = world.session
    session.expire_all()  # read what the database holds, not what the session remembers
    ar_by_customer: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice in world.invoices:
        allocated = sum(session.scalars(select(PaymentAllocation.amount).where(
            PaymentAllocation.invoice_id == invoice.id)), ZERO)
        credited = sum(session.scalars(select(CreditApplication.amount).where(
            CreditApplication.invoice_id == invoice.id)), ZERO)
        assert ZERO <= allocated + credited <= invoice.total
        assert invoice.total - allocated - credited == invoice.open_amount == world.open[invoice.id]
        ar_by_customer[invoice.customer_id] += invoice.total - allocated - credited
    for payment in world.payments:
        assert ZERO <= payment.unallocated_amount == world.left["payment", payment.id] <= payment.amount
    for note in world.notes:
        assert ZERO <= note.unapplied_amount == world.left["note", note.id] <= note.amount
    ids = [c.id for c in world.customers]
    report = receivables.aging(session=session, as_of=AS_OF)
    reported = {row.customer_id: row.total for row in report.rows if row.customer_id in ids}
    assert reported == {c: ar for c, ar in ar_by_customer.items() if ar}
    for row in report.rows:
        assert row.total == sum((amount for _, amount in row.buckets), ZERO)
    assert report.total == sum((row.total for row in report.rows), ZERO) == report.totals.total


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(opening=OPENING, steps=STEPS)
def test_random_receivables_stay_exact_to_the_cent(
    session: Session, opening: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]
) -> None:
    savepoint = session.begin_nested()  # each example sees only its own data
    try:
        world = World(session)
        for step in [*opening, *steps]:
            world.apply(("apply_", *step[1:]) if step[0] == "apply" else step)
            _assert_receivables_exact(world)
    finally:
        savepoint.rollback()
