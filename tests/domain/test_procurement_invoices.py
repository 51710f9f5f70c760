"""Supplier invoices: the 3-way match within and over tolerance, finance approval, payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from domain.procurement import invoices
from domain.procurement.models import MatchStatus, OrderStatus, PurchaseOrder, SupplierInvoice
from domain.procurement.schemas import InvoiceLineCreate, MatchTolerance, SupplierInvoiceCreate
from tests.factories import ACTOR, make_item, make_warehouse
from tests.procurement_factories import make_purchase_order, make_supplier, receive_goods

INVOICE_DAY = date(2026, 2, 1)


def _order(session: Session, received: str = "10") -> PurchaseOrder:
    """An order of 10 at 20.00 with `received` accepted."""
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "20.00"), payment_terms_days=14)
    order = make_purchase_order(session, supplier, warehouse, (item, "10"))
    receive_goods(session, order, (0, received, "0"))
    return order


def _invoice(
    session: Session, order: PurchaseOrder, quantity: str, price: str, number: str = "INV-1"
) -> SupplierInvoice:
    data = SupplierInvoiceCreate(
        purchase_order_id=order.id,
        supplier_number=number,
        invoice_date=INVOICE_DAY,
        lines=[
            InvoiceLineCreate(
                purchase_order_line_id=order.lines[0].id, quantity=Decimal(quantity), unit_price=Decimal(price)
            )
        ],
    )
    return invoices.create_supplier_invoice(session=session, data=data, actor=ACTOR)


def _match(session: Session, invoice: SupplierInvoice, **tolerance: str) -> invoices.MatchResult:
    limits = MatchTolerance(**{k: Decimal(v) for k, v in tolerance.items()}) if tolerance else None
    return invoices.match_supplier_invoice(session=session, invoice_id=invoice.id, tolerance=limits)


def test_invoice_is_due_after_the_supplier_payment_terms(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.00")

    assert (invoice.number, invoice.due_date, invoice.total) == (
        f"SI{invoice.id:06d}",
        date(2026, 2, 15),
        Decimal("200.00"),
    )


def test_the_same_supplier_invoice_number_twice_is_a_conflict(session: Session) -> None:
    order = _order(session)
    _invoice(session, order, "5", "20.00")

    with pytest.raises(Conflict):
        _invoice(session, order, "5", "20.00")


def test_invoice_at_order_price_for_accepted_quantity_matches(session: Session) -> None:
    order = _order(session)
    invoice = _invoice(session, order, "10", "20.00")

    result = _match(session, invoice)

    assert (result.matched, result.mismatches, invoice.match_status) == (True, [], MatchStatus.MATCHED)
    assert (order.lines[0].invoiced_qty, order.status) == (Decimal("10.000"), OrderStatus.INVOICED)


def test_price_difference_within_tolerance_matches(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.30")  # +3.00 on 200.00: 1.5 %

    assert _match(session, invoice, line_pct="2", line_amount="10", total_pct="2", total_amount="10").matched


def test_price_difference_over_the_percentage_is_a_mismatch(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.50")  # +5.00 on 200.00: 2.5 %

    result = _match(session, invoice, line_pct="2", line_amount="10", total_pct="5", total_amount="50")

    assert not result.matched
    assert [(m.reason, m.expected, m.invoiced) for m in result.mismatches] == [
        ("price_differs", Decimal("20.00"), Decimal("20.50"))
    ]
    assert invoice.match_status == MatchStatus.MISMATCH


def test_price_difference_over_the_absolute_amount_is_a_mismatch(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.30")  # +3.00, 1.5 %

    result = _match(session, invoice, line_pct="5", line_amount="2", total_pct="5", total_amount="50")

    assert [m.reason for m in result.mismatches] == ["price_differs"]


def test_invoicing_more_than_was_accepted_is_a_quantity_mismatch(session: Session) -> None:
    invoice = _invoice(session, _order(session, received="6"), "10", "20.00")

    result = _match(session, invoice)

    assert [(m.reason, m.expected, m.invoiced) for m in result.mismatches] == [
        ("quantity_not_received", Decimal("6.000"), Decimal("10.000")),
        ("total_differs", Decimal("120.00"), Decimal("200.00")),
    ]


def test_total_tolerance_catches_what_each_line_allows(session: Session) -> None:
    item, other, warehouse = make_item(session), make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "20.00"), (other, "20.00"))
    order = make_purchase_order(session, supplier, warehouse, (item, "10"), (other, "10"))
    receive_goods(session, order, (0, "10", "0"), (1, "10", "0"))
    data = SupplierInvoiceCreate(
        purchase_order_id=order.id,
        supplier_number="INV-T",
        invoice_date=INVOICE_DAY,
        lines=[
            InvoiceLineCreate(purchase_order_line_id=line.id, quantity=Decimal("10"), unit_price=Decimal("20.40"))
            for line in order.lines
        ],
    )
    invoice = invoices.create_supplier_invoice(session=session, data=data, actor=ACTOR)  # +4.00 per line, +8.00

    result = _match(session, invoice, line_pct="5", line_amount="5", total_pct="5", total_amount="6")

    assert [(m.line_id, m.reason, m.difference) for m in result.mismatches] == [
        (None, "total_differs", Decimal("8.00"))
    ]


def test_a_second_invoice_for_already_invoiced_goods_does_not_match(session: Session) -> None:
    order = _order(session, received="5")
    _match(session, _invoice(session, order, "5", "20.00", number="A"))

    result = _match(session, _invoice(session, order, "5", "20.00", number="B"))

    assert [m.reason for m in result.mismatches] == ["quantity_not_received", "total_differs"]


def test_a_mismatch_matches_once_the_goods_arrive(session: Session) -> None:
    order = _order(session, received="6")
    invoice = _invoice(session, order, "10", "20.00")
    assert not _match(session, invoice).matched

    receive_goods(session, order, (0, "4", "0"))

    assert _match(session, invoice).matched


def test_only_a_payable_invoice_can_be_paid(session: Session) -> None:
    invoice = _invoice(session, _order(session, received="6"), "10", "20.00")
    _match(session, invoice)

    with pytest.raises(Conflict):
        invoices.pay_supplier_invoice(session=session, invoice_id=invoice.id, actor=ACTOR)


def test_finance_approval_makes_a_mismatched_invoice_payable(session: Session) -> None:
    invoice = _invoice(session, _order(session, received="6"), "10", "20.00")
    _match(session, invoice)

    invoices.approve_supplier_invoice(session=session, invoice_id=invoice.id, comment="rest on the way", actor="cfo")
    payment = invoices.pay_supplier_invoice(session=session, invoice_id=invoice.id, actor=ACTOR)

    assert (invoice.approved_by, payment.amount, invoice.open_amount) == ("cfo", Decimal("200.00"), Decimal("0.00"))


def test_approving_an_unmatched_invoice_is_a_conflict(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.00")

    with pytest.raises(Conflict):
        invoices.approve_supplier_invoice(session=session, invoice_id=invoice.id, comment="ok", actor="cfo")


def test_partial_payments_leave_the_rest_open(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.00")
    _match(session, invoice)

    invoices.pay_supplier_invoice(session=session, invoice_id=invoice.id, amount=Decimal("50.00"), actor=ACTOR)

    assert (invoice.paid, invoice.open_amount) == (Decimal("50.00"), Decimal("150.00"))


def test_paying_more_than_is_open_is_refused(session: Session) -> None:
    invoice = _invoice(session, _order(session), "10", "20.00")
    _match(session, invoice)

    with pytest.raises(InvalidInput):
        invoices.pay_supplier_invoice(session=session, invoice_id=invoice.id, amount=Decimal("200.01"), actor=ACTOR)
