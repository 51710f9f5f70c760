"""Invoices for delivered goods (the invoice helpers here serve the other finance tests too)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.crm.models import Customer
from domain.errors import InvalidInput
from domain.finance import service
from domain.finance.models import Invoice, InvoiceStatus
from domain.finance.operators import create_invoice
from domain.inventory.service import reserve_for_order, ship_order
from domain.sales.models import SalesOrder
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse, receive

ISSUED = date(2025, 3, 1)


def _delivered_order(
    session: Session, ordered: str, in_stock: str, price: str = "10.00", **customer: object
) -> SalesOrder:
    return deliver(session, make_customer(session, **customer), ordered, in_stock, price)


def deliver(session: Session, customer: Customer, ordered: str, in_stock: str, price: str) -> SalesOrder:
    """An order of one item for customer, shipped as far as in_stock allows."""
    item, warehouse = make_item(session), make_warehouse(session)
    receive(session, item, warehouse, in_stock)
    order = make_order(session, customer, (item, ordered, price))
    reserve_for_order(session=session, order_id=order.id)
    ship_order(session=session, order_id=order.id, actor=ACTOR)
    return order


def invoice_for(session: Session, customer: Customer, total: str, issued: date = ISSUED) -> Invoice:
    """An invoice of `total` to customer, issued on `issued`, due after the customer's payment terms."""
    order = deliver(session, customer, "1", "1", total)
    return service.create_invoice_for_order(session=session, order_id=order.id, issue_date=issued)


def test_invoice_number_is_generated_from_the_id(session: Session) -> None:
    invoice = service.create_invoice_for_order(session=session, order_id=_delivered_order(session, "1", "1").id)

    assert invoice.number == f"INV-{invoice.id:06d}"


def test_invoice_bills_delivered_quantities_only(session: Session) -> None:
    order = _delivered_order(session, ordered="5", in_stock="2")

    invoice = service.create_invoice_for_order(session=session, order_id=order.id)

    assert ([line.quantity for line in invoice.lines], invoice.total) == ([Decimal("2.000")], Decimal("20.00"))


def test_invoice_due_date_follows_customer_payment_terms(session: Session) -> None:
    order = _delivered_order(session, "1", "1", payment_terms_days=45)

    invoice = service.create_invoice_for_order(session=session, order_id=order.id, issue_date=ISSUED)

    assert invoice.due_date == date(2025, 4, 15)


def test_invoicing_with_nothing_delivered_is_rejected(session: Session) -> None:
    order = make_order(session, make_customer(session), (make_item(session), "1"))

    with pytest.raises(InvalidInput):
        service.create_invoice_for_order(session=session, order_id=order.id)


def test_invoicing_again_without_new_deliveries_is_rejected(session: Session) -> None:
    order = _delivered_order(session, "1", "1")
    service.create_invoice_for_order(session=session, order_id=order.id)

    with pytest.raises(InvalidInput):
        service.create_invoice_for_order(session=session, order_id=order.id)


def test_partial_invoices_add_up_to_the_order_total_to_the_cent(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    order = make_order(session, make_customer(session), (item, "3", "0.35"))  # 1.05; thirds round to 0.35 each
    invoices = []
    for _ in range(3):
        receive(session, item, warehouse, "1")
        reserve_for_order(session=session, order_id=order.id)
        ship_order(session=session, order_id=order.id, actor=ACTOR)
        invoices.append(service.create_invoice_for_order(session=session, order_id=order.id))

    assert sum(invoice.total for invoice in invoices) == order.total == Decimal("1.05")


def test_create_invoice_operator_returns_an_iso_due_date(session: Session) -> None:
    order = _delivered_order(session, "2", "2", price="7.50", payment_terms_days=0)

    result = create_invoice(session=session, order_id=order.id)

    invoice = service.get_invoice(session=session, invoice_id=result["id"])
    assert (result["total"], result["currency"]) == (Decimal("15.00"), "CNY")
    assert result["due_date"] == invoice.issue_date.isoformat()  # payment terms of 0 days


def test_a_new_invoice_is_open_for_its_total(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "12.34")

    assert (invoice.status, invoice.open_amount) == (InvoiceStatus.OPEN, Decimal("12.34"))
