"""/api/v1 finance: payments received and allocated, credit notes, aging, overdue and credit checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain import clock
from domain.db import transaction
from tests.domain.test_finance import invoice_for
from tests.factories import make_customer
from tests.web.conftest import unique


@pytest.fixture
def billed(world: None) -> dict[str, Any]:
    """A fresh customer (limit 1000.00) with invoices of 100.00 (10 days overdue) and 50.00 (not yet due)."""
    with transaction() as session:
        customer = make_customer(session, name=f"Finance API {unique()}", credit_limit=Decimal("1000.00"),
                                 payment_terms_days=30)
        today = clock.now().date()
        old = invoice_for(session, customer, "100.00", issued=today - timedelta(days=40))
        new = invoice_for(session, customer, "50.00", issued=today)
        return {"customer_id": customer.id, "old": old.id, "new": new.id, "old_number": old.number}


def _receive(client: TestClient, headers: dict[str, str], customer_id: int, amount: str, reference: str = ""
             ) -> Any:
    return client.post("/api/v1/payments", headers=headers, json={
        "customer_id": customer_id, "amount": amount, "paid_on": "2026-11-20", "reference": reference})


def test_finance_receives_a_payment_unallocated(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    response = _receive(client, as_user("finance"), billed["customer_id"], "120.00")

    assert response.status_code == 201
    assert (response.json()["unallocated_amount"], response.json()["method"]) == ("120.00", "bank_transfer")


def test_a_repeated_reference_is_409(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    reference = f"TT-{unique()}"
    _receive(client, as_user("finance"), billed["customer_id"], "10.00", reference)

    again = _receive(client, as_user("finance"), billed["customer_id"], "10.00", reference)

    assert (again.status_code, again.json()["code"]) == (409, "duplicate_payment")


def test_only_finance_receives_payments(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    assert _receive(client, as_user("sales"), billed["customer_id"], "10.00").status_code == 403


def test_a_payment_with_fractions_of_a_cent_is_422(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    assert _receive(client, as_user("finance"), billed["customer_id"], "10.005").status_code == 422


def test_a_payment_is_split_over_two_invoices(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    finance = as_user("finance")
    payment = _receive(client, finance, billed["customer_id"], "130.00").json()

    response = client.post(f"/api/v1/payments/{payment['id']}/allocations", headers=finance, json=[
        {"invoice_id": billed["old"], "amount": "100.00"}, {"invoice_id": billed["new"]}])

    assert response.status_code == 201 and response.json()["unallocated_amount"] == "0.00"
    statuses = [client.get(f"/api/v1/invoices/{billed[k]}", headers=finance).json()["status"] for k in ("old", "new")]
    assert statuses == ["paid", "partially_paid"]


def test_over_allocating_an_invoice_is_422(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    finance = as_user("finance")
    payment = _receive(client, finance, billed["customer_id"], "500.00").json()

    response = client.post(f"/api/v1/payments/{payment['id']}/allocations", headers=finance,
                           json=[{"invoice_id": billed["new"], "amount": "50.01"}])

    assert response.status_code == 422 and "exceeds the open amount" in response.json()["detail"]


def test_a_credit_note_for_an_invoice_is_applied_at_once(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/credit-notes", headers=as_user("finance"), json={
        "customer_id": billed["customer_id"], "invoice_id": billed["new"], "reason": "price correction",
        "lines": [{"description": "Discount not applied", "quantity": "2", "unit_price": "7.50"}]})

    body = response.json()
    assert response.status_code == 201 and body["number"] == f"CN{body['id']:06d}"
    assert (body["amount"], body["applied_amount"], body["applications"][0]["invoice_id"]) == (
        "15.00", "15.00", billed["new"])


def test_aging_puts_the_customers_invoices_in_their_buckets(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    report = client.get("/api/v1/ar/aging", headers=as_user("sales"),
                        params={"customer_id": billed["customer_id"]}).json()

    (row,) = report["rows"]
    assert {k: v for k, v in row["buckets"].items() if v != "0.00"} == {"not_yet_due": "50.00", "days_0_30": "100.00"}
    assert report["total"] == "150.00"


def test_overdue_lists_invoices_past_the_grace_days(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    found = client.get("/api/v1/ar/overdue", headers=as_user("finance"),
                       params={"customer_id": billed["customer_id"], "grace_days": 5}).json()

    assert [(i["number"], i["days_overdue"]) for i in found] == [(billed["old_number"], 10)]


def test_invoice_status_reports_days_overdue(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    status = client.get(f"/api/v1/invoices/{billed['old']}/status", headers=as_user("sales")).json()

    assert (status["paid"], status["open_amount"], status["days_overdue"]) == (False, "100.00", 10)


@pytest.mark.parametrize(("additional", "would_exceed"), [("850.00", False), ("850.01", True)])
def test_credit_check_tells_whether_an_order_fits_the_limit(  # type: ignore[no-untyped-def]
    client: TestClient, as_user, billed, additional: str, would_exceed: bool
) -> None:
    check = client.get(f"/api/v1/ar/credit-check/{billed['customer_id']}", headers=as_user("sales"),
                       params={"additional_amount": additional}).json()

    assert (check["exposure"], check["headroom"], check["would_exceed"]) == ("150.00", "850.00", would_exceed)


def test_invoice_list_filters_overdue_invoices(client: TestClient, as_user, billed) -> None:  # type: ignore[no-untyped-def]
    rows = client.get("/api/v1/invoices", headers=as_user("finance"),
                      params={"customer_id": billed["customer_id"], "overdue": "true"}).json()

    assert [r["id"] for r in rows] == [billed["old"]]
