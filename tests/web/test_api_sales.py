"""The sales API: quotes with totals and margin, sales orders with their derived status."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.db import transaction
from tests.factories_crm import make_account


@pytest.fixture
def account(world: None) -> dict[str, Any]:
    with transaction() as session:
        made = make_account(session)
        return {"code": made["customer"].code, "quote": made["quote"].number, "order": made["order"].number}


def test_quote_has_totals_and_margin(client: TestClient, as_user: Any, account: dict[str, Any]) -> None:
    quote = client.get(f"/api/v1/quotes/{account['quote']}", headers=as_user("sales")).json()

    assert {k: quote[k] for k in ("status", "list_total", "total", "discount_amount", "margin_amount",
                                  "margin_pct")} == {
        "status": "accepted", "list_total": "1000.00", "total": "950.00", "discount_amount": "50.00",
        "margin_amount": "350.00", "margin_pct": "36.84"}


def test_quotes_filter_by_customer_and_status(client: TestClient, as_user: Any, account: dict[str, Any]) -> None:
    sales = as_user("sales")

    accepted = client.get(f"/api/v1/quotes?customer_code={account['code']}&status=accepted", headers=sales).json()
    sent = client.get(f"/api/v1/quotes?customer_code={account['code']}&status=sent", headers=sales).json()

    assert ([q["number"] for q in accepted], sent) == ([account["quote"]], [])


def test_sales_orders_carry_their_derived_status(client: TestClient, as_user: Any, account: dict[str, Any]) -> None:
    sales = as_user("sales")

    listed = client.get(f"/api/v1/sales-orders?customer_code={account['code']}&status=partially_shipped",
                        headers=sales).json()
    order = client.get(f"/api/v1/sales-orders/{account['order']}", headers=sales).json()

    assert [o["number"] for o in listed] == [account["order"]]
    assert (order["status"], order["lines"][0]["delivered_qty"]) == ("partially_shipped", "7.000")


def test_unknown_quote_is_a_404_problem(client: TestClient, as_user: Any, world: None) -> None:
    response = client.get("/api/v1/quotes/Q-NOPE", headers=as_user("sales"))

    assert response.status_code == 404 and response.json()["code"] == "quote_not_found"
