"""The finance operators as a process calls them: through the registry, parameters as a diagram passes them."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from engine.services import call
from tests.domain.test_finance import ISSUED, invoice_for
from tests.factories import make_customer

DUE = ISSUED + timedelta(days=30)


def _call(session: Session, name: str, **params: Any) -> dict[str, Any]:
    # Parameters arrive JSON-shaped from task data: strings for dates, numbers or strings for amounts.
    return call(session=session, name=name, params=json.loads(json.dumps(params, default=str)))


def test_record_payment_reports_status_open_amount_and_excess(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")

    result = _call(session, "finance.record_payment", invoice_id=invoice.id, amount="12.50",
                   paid_on="2025-03-05", reference="")

    assert result | {"id": 0} == {"id": 0, "invoice_id": invoice.id, "invoice_status": "paid",
                                  "open_amount": Decimal("0.00"), "allocated": Decimal("10.00"),
                                  "unallocated": Decimal("2.50")}


def test_record_payment_with_a_repeated_reference_is_a_conflict(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")
    _call(session, "finance.record_payment", invoice_id=invoice.id, amount="4.00", paid_on="2025-03-05",
          reference="TT 1")

    with pytest.raises(Conflict):
        _call(session, "finance.record_payment", invoice_id=invoice.id, amount="4.00", paid_on="2025-03-05",
              reference="TT 1")


def test_allocate_payment_without_an_amount_allocates_what_fits(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    payment = _call(session, "finance.receive_payment", customer_id=customer.id, amount="25.00",
                    paid_on="2025-03-05")

    result = _call(session, "finance.allocate_payment", payment_id=payment["id"], invoice_id=invoice.id)

    assert (result["amount"], result["invoice_status"], result["unallocated"]) == (
        Decimal("10.00"), "paid", Decimal("15.00"))


def test_credit_check_reports_exposure_limit_and_payment_behaviour(session: Session) -> None:
    customer = make_customer(session, credit_limit=Decimal("50.00"))
    invoice_for(session, customer, "40.00")

    result = _call(session, "finance.credit_check", customer_id=customer.id, additional_amount="10.01")

    assert {k: result[k] for k in ("exposure", "limit", "headroom", "would_exceed", "late_payments")} == {
        "exposure": Decimal("40.00"), "limit": Decimal("50.00"), "headroom": Decimal("10.00"),
        "would_exceed": True, "late_payments": 0}


def test_invoice_status_reports_days_overdue(session: Session) -> None:
    invoice = invoice_for(session, make_customer(session), "10.00")

    result = _call(session, "finance.invoice_status", invoice_id=invoice.id,
                   as_of=(DUE + timedelta(days=12)).isoformat())

    assert {k: result[k] for k in ("paid", "status", "open_amount", "days_overdue")} == {
        "paid": False, "status": "open", "open_amount": Decimal("10.00"), "days_overdue": 12}


def test_issue_credit_note_for_an_invoice_applies_it(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")

    result = _call(session, "finance.issue_credit_note", customer_id=customer.id, invoice_id=invoice.id,
                   amount="3.00", reason="refund for returned goods")

    assert (result["number"], result["applied"], result["invoice_ids"]) == (
        f"CN{result['id']:06d}", Decimal("3.00"), [invoice.id])


def test_issue_credit_note_without_a_reason_is_rejected(session: Session) -> None:
    with pytest.raises(InvalidInput):
        _call(session, "finance.issue_credit_note", customer_id=make_customer(session).id, amount="3.00", reason="")


def test_find_overdue_invoices_applies_the_grace_days(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")

    result = _call(session, "finance.find_overdue_invoices", customer_id=customer.id,
                   as_of=(DUE + timedelta(days=5)).isoformat(), grace_days=5)

    assert (result["overdue"], [i["number"] for i in result["invoices"]], result["total_open"]) == (
        True, [invoice.number], Decimal("10.00"))


def test_payment_history_operator_is_json_ready(session: Session) -> None:
    customer = make_customer(session)
    invoice = invoice_for(session, customer, "10.00")
    _call(session, "finance.record_payment", invoice_id=invoice.id, amount="10.00",
          paid_on=(ISSUED + timedelta(days=10)).isoformat())

    result = _call(session, "finance.payment_history", customer_id=customer.id)

    assert (result["invoices_paid"], result["average_days_to_pay"]) == (1, Decimal("10.0"))

